import { z } from 'zod';
import { slipwayConfig } from './schema.ts';

/** The JSON Schema of slipway.yaml as written by people (durations as text, defaults optional). */
export function jsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(slipwayConfig, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
    title: 'slipway.yaml',
  };
}
