/** Route helpers: the API's app type and the standard error responses of every route. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AuthEnv } from '../auth/middleware.ts';
import { ErrorBody } from '../schemas.ts';

export type Api = OpenAPIHono<AuthEnv>;

const error = (description: string) => ({
  content: { 'application/json': { schema: ErrorBody } },
  description,
});

/** 400/401/403/404 as every authenticated route can answer them. */
export const errors = {
  400: error('The request is malformed; the message names each wrong field.'),
  401: error('No token, or a token that is unknown, revoked or expired.'),
  403: error('The token may not do this on this environment, or the CSRF token is missing.'),
  404: error('Not found.'),
  409: error('Refused: a lock is held, or the deployment already ended.'),
} as const;

export const json = <T>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const bearer: Array<Record<string, string[]>> = [{ bearer: [] }, { session: [] }];
