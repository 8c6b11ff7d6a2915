/**
 * Errors as API responses: every failure is `{ error: { code, message, details } }` with the
 * registry's status. Validation problems name each field; anything unexpected is a 500 without
 * internals in the body (the trace goes to the server log).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { AppError, errorEnvelope, isAppError } from '../domain/errors.ts';

export function errorResponse(c: Context, error: AppError): Response {
  return c.json(errorEnvelope(error), error.status as ContentfulStatusCode);
}

/** One line per problem: `body.env: expected string, received number`. */
export function validationError(target: string, error: ZodError): AppError {
  const where = target === 'json' ? 'body' : target;
  const lines = error.issues.map((issue) => {
    const path = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys')
      return `${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}: unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    return `${path}: ${issue.message}`;
  });
  return new AppError('REQUEST_INVALID', `invalid request: ${lines.join('; ')}`, { details: lines });
}

/** Hono and stray errors to AppErrors. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new AppError('BODY_TOO_LARGE', error.message);
    if (error.status === 400) return new AppError('REQUEST_INVALID', `invalid request: ${error.message}`);
  }
  return new AppError('INTERNAL', 'the server hit a bug; the server log has the details', { cause: error });
}
