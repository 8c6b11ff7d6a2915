import type { Command } from 'commander';
import { jsonSchema } from '../../config/json-schema.ts';
import type { Act, Context } from '../context.ts';

export function registerSchema(program: Command, ctx: () => Context, act: Act): void {
  program
    .command('schema')
    .description(
      'Print the JSON Schema of slipway.yaml, for editors (yaml-language-server) to complete and check it.',
    )
    .action(
      act(() => {
        ctx().io.out(JSON.stringify(jsonSchema(), null, 2));
        return 0;
      }),
    );
}
