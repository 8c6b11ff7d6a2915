/**
 * One registry of stable error codes. Every error a user can meet carries one of these codes,
 * a message that says what failed, where, and what to do, an HTTP status for the API and an exit
 * code for the CLI. `docs/errors.md` documents each code; a test keeps the two in step.
 */
export const EXIT = {
  ok: 0,
  /** The thing checked is not right: an invalid config, a failed deployment. */
  failed: 1,
  /** The command was called wrongly: unknown flag, missing argument, unreadable file. */
  usage: 2,
  /** Refused: a lock is held, a release conflicts, a gate says no. */
  refused: 3,
  /** Something slipway depends on is unavailable or unusable: the store, a port, a binary. */
  unavailable: 4,
  /** A bug in slipway itself. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

interface CodeSpec {
  readonly status: number;
  readonly exit: ExitCode;
  readonly summary: string;
}

export const ERROR_CODES = {
  USAGE: { status: 400, exit: EXIT.usage, summary: 'A command or request was called with wrong arguments.' },
  FILE_NOT_FOUND: {
    status: 400,
    exit: EXIT.usage,
    summary: 'A file named on the command line does not exist.',
  },
  CONFIG_INVALID: {
    status: 422,
    exit: EXIT.failed,
    summary: 'slipway.yaml has errors; each is listed with its place.',
  },
  ENV_NOT_FOUND: { status: 404, exit: EXIT.usage, summary: 'No environment of that name in slipway.yaml.' },
  RELEASE_NOT_FOUND: { status: 404, exit: EXIT.usage, summary: 'No release of that version or digest.' },
  RELEASE_CONFLICT: {
    status: 409,
    exit: EXIT.refused,
    summary: 'A release with this version exists with different content.',
  },
  RELEASE_SOURCE_INVALID: {
    status: 400,
    exit: EXIT.usage,
    summary: 'The path given for a release is not a directory or a readable archive.',
  },
  DEPLOYMENT_NOT_FOUND: { status: 404, exit: EXIT.usage, summary: 'No deployment with that id.' },
  LOCK_HELD: {
    status: 409,
    exit: EXIT.refused,
    summary: 'Another deployment holds the lock of this environment.',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'The store could not be opened or reached.',
  },
  STORE_SCHEMA_TOO_NEW: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'The store was written by a newer slipway than this one.',
  },
  INIT_EXISTS: { status: 409, exit: EXIT.refused, summary: 'slipway init would overwrite an existing file.' },
  TRAFFIC_ROUTE_INVALID: {
    status: 422,
    exit: EXIT.failed,
    summary:
      'A routing state or weight change is invalid: weights, release names, backends or listen address.',
  },
  TRAFFIC_DRIVER_UNKNOWN: {
    status: 400,
    exit: EXIT.usage,
    summary: 'No traffic router driver of that name.',
  },
  TRAFFIC_DRIVER_FAILED: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'A traffic router could not start or change its proxy (haproxy, nginx, a listener port).',
  },
  INTERNAL: { status: 500, exit: EXIT.internal, summary: 'A bug in slipway; please report it.' },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * An error meant for a user: it is printed without a stack trace.
 *
 * @example
 * throw new AppError('ENV_NOT_FOUND', 'no environment "prod" in slipway.yaml; did you mean "production"?');
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: ExitCode;
  /** Extra lines, e.g. every config error; printed after the message. */
  readonly details: readonly string[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.exitCode = ERROR_CODES[code].exit;
    this.details = options.details ?? [];
  }

  toJSON(): { code: ErrorCode; message: string; details: readonly string[] } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
