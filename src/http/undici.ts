/**
 * undici's `request` (over its keep-alive pool: less CPU per call than `fetch`), loaded on first
 * use: most commands never make such a call.
 */
import type * as Undici from 'undici';
import { lazyRequire } from '../runtime/lazy-require.ts';

const undici = lazyRequire<typeof Undici>('undici');

export const undiciRequest = (): typeof Undici.request => undici().request;
