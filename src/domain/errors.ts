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
    summary:
      'A release with this version exists with different content, CI result, commit or notes; the message lists what differs.',
  },
  RELEASE_SOURCE_INVALID: {
    status: 400,
    exit: EXIT.usage,
    summary: 'The path given for a release is not a directory or a readable archive.',
  },
  RELEASE_VERSION_INVALID: {
    status: 400,
    exit: EXIT.usage,
    summary: 'A release version is empty, longer than 128 characters, or holds control characters or spaces.',
  },
  RELEASE_DIGEST_MISMATCH: {
    status: 400,
    exit: EXIT.failed,
    summary:
      'The content received is not what was announced: the sha256 of an uploaded archive or the content digest differs, or the folder changed while it was copied.',
  },
  RELEASE_IN_USE: {
    status: 409,
    exit: EXIT.refused,
    summary:
      'The release cannot be removed: an environment runs it, may roll back to it, or a deployment of it is in flight.',
  },
  LOCAL_ONLY: {
    status: 400,
    exit: EXIT.usage,
    summary:
      'The command works on this machine only (secrets, config values, the agent) and SLIPWAY_URL is set; run it on the server machine, or unset SLIPWAY_URL.',
  },
  DEPLOYMENT_NOT_FOUND: { status: 404, exit: EXIT.usage, summary: 'No deployment with that id.' },
  DEPLOYMENT_STATE_INVALID: {
    status: 500,
    exit: EXIT.unavailable,
    summary:
      'The stored state of a deployment cannot be read (another slipway version, or damage); it names the deployment.',
  },
  LOCK_HELD: {
    status: 409,
    exit: EXIT.refused,
    summary: 'Another deployment holds the lock of this environment.',
  },
  DEPLOYMENT_IN_FLIGHT: {
    status: 409,
    exit: EXIT.refused,
    summary:
      'A deployment of this environment is still in flight (running, paused, waiting or interrupted); resume, abort or roll it back first.',
  },
  DEPLOYMENT_STALE: {
    status: 409,
    exit: EXIT.refused,
    summary:
      'The deployment an action was aimed at no longer matches what the agent serves; the message says what is true now.',
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
  STORE_MISSING: {
    status: 503,
    exit: EXIT.unavailable,
    summary:
      'The store this project used is gone or empty (the project marker .slipway/project.json says it existed); restore a backup.',
  },
  STORE_REPLACED: {
    status: 503,
    exit: EXIT.unavailable,
    summary:
      "The store is not the one this project used (its id differs from the project marker's); restore a backup.",
  },
  STORE_CORRUPT: {
    status: 503,
    exit: EXIT.unavailable,
    summary:
      'The store failed its integrity check or reads corrupt data; nothing is written to it; restore a backup.',
  },
  STORE_BACKUP_INVALID: {
    status: 400,
    exit: EXIT.failed,
    summary: 'A backup given to `slipway store restore` is unreadable, corrupt or not a slipway store.',
  },
  STORE_BUSY: {
    status: 409,
    exit: EXIT.refused,
    summary: 'A restore was refused because a deployment is in flight; finish or abort it, or pass --force.',
  },
  DISK_FULL: {
    status: 507,
    exit: EXIT.unavailable,
    summary:
      'A file or the store could not be written because its filesystem is full; nothing half-written is left.',
  },
  ANALYSIS_RULE_INVALID: {
    status: 422,
    exit: EXIT.failed,
    summary: 'An analysis rule (rollbackIf, analysis) is malformed; each problem names the rule and field.',
  },
  METRIC_PROVIDER_UNKNOWN: {
    status: 422,
    exit: EXIT.failed,
    summary: 'A metric provider kind is not one slipway knows; the message lists the known kinds.',
  },
  METRIC_PROVIDER_INVALID: {
    status: 422,
    exit: EXIT.failed,
    summary: 'A metric provider is configured wrongly (missing URL, bad query); the message names the field.',
  },
  INIT_EXISTS: { status: 409, exit: EXIT.refused, summary: 'slipway init would overwrite an existing file.' },
  CONFIG_VALUES_INVALID: {
    status: 422,
    exit: EXIT.failed,
    summary: 'Config values of an environment are missing or invalid; each key is listed with the fix.',
  },
  SECRET_NOT_FOUND: {
    status: 404,
    exit: EXIT.usage,
    summary: 'No secret of that name (or version) in the secret store.',
  },
  SECRET_KEY_INVALID: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'The local secret store key is missing, malformed or not the one the store was written with.',
  },
  SECRET_DECRYPT_FAILED: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'A secret record could not be decrypted: it was changed or damaged; nothing was overwritten.',
  },
  SECRET_STORE_CORRUPT: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'The secret store file cannot be read as a slipway secret store; it is left untouched.',
  },
  SECRET_STORE_READ_ONLY: {
    status: 409,
    exit: EXIT.refused,
    summary: 'This secret store cannot be written (e.g. env).',
  },
  SECRET_STORE_UNAVAILABLE: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'The secret store could not be reached or refused the request (e.g. Vault down, bad token).',
  },
  SECRET_FOUND_IN_RELEASE: {
    status: 422,
    exit: EXIT.failed,
    summary: 'The secret scanner found credentials in a release folder that no allowlist entry accepts.',
  },
  INSTANCE_START_FAILED: {
    status: 502,
    exit: EXIT.failed,
    summary:
      'An instance of a release did not become healthy; the error names the reason and its last log lines.',
  },
  CONTAINER_ENGINE_UNAVAILABLE: {
    status: 503,
    exit: EXIT.unavailable,
    summary:
      'The container engine (Docker or Podman through DOCKER_HOST) cannot be reached; the message names its address and how to start it.',
  },
  IMAGE_NOT_FOUND: {
    status: 404,
    exit: EXIT.failed,
    summary: 'An image, or its tag, is not in the registry; the message names the image.',
  },
  IMAGE_PLATFORM_MISMATCH: {
    status: 422,
    exit: EXIT.failed,
    summary:
      "An image holds no variant for this host's platform (e.g. linux/amd64); the message lists the ones it has.",
  },
  IMAGE_PULL_FAILED: {
    status: 502,
    exit: EXIT.unavailable,
    summary:
      'The engine could not pull an image, or a registry could not be reached; the message names both.',
  },
  REGISTRY_AUTH_FAILED: {
    status: 401,
    exit: EXIT.refused,
    summary:
      'A container registry refused the credentials (or asked for some); the message says which to set.',
  },
  IMAGE_BUILD_FAILED: {
    status: 422,
    exit: EXIT.failed,
    summary:
      '`release create --build`: the engine could not build the image, or not push it to the registry; the message names the step and shows the last build lines.',
  },
  RUNTIME_STATE_INVALID: {
    status: 500,
    exit: EXIT.unavailable,
    summary:
      'A state file of the runtime or agent cannot be read; it names the file and how to fix it without stopping what serves.',
  },
  ROUTE_NOT_FOUND: { status: 404, exit: EXIT.usage, summary: 'No API route for that method and path.' },
  STATE_DIR_IN_USE: {
    status: 409,
    exit: EXIT.refused,
    summary: 'Another agent is running on the same state folder; stop it first or use another folder.',
  },
  UNAUTHORIZED: { status: 401, exit: EXIT.refused, summary: 'The request carried no token or a wrong one.' },
  AGENT_INSTALL_FAILED: {
    status: 500,
    exit: EXIT.unavailable,
    summary:
      'The agent could not be installed as a service (systemctl failed, or it is already installed or running); the message says which.',
  },
  AGENT_NOT_INSTALLED: {
    status: 404,
    exit: EXIT.failed,
    summary: '`slipway agent uninstall` found no installed agent for this state folder.',
  },
  AGENT_UNAVAILABLE: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'The data-plane agent could not be reached or answered with an error.',
  },
  MIGRATIONS_NOT_CONFIGURED: {
    status: 400,
    exit: EXIT.usage,
    summary: 'A migrations command was used but slipway.yaml declares no migrations block.',
  },
  DATABASE_UNAVAILABLE: {
    status: 503,
    exit: EXIT.unavailable,
    summary:
      "An environment's database cannot be used: its URL is missing, unreachable or refuses the credentials, or a dump tool is missing.",
  },
  MIGRATION_FAILED: {
    status: 422,
    exit: EXIT.failed,
    summary:
      'A migration statement failed; the message names the file, line, statement and the database error.',
  },
  MIGRATION_REFUSED: {
    status: 409,
    exit: EXIT.refused,
    summary:
      'A contract migration was refused while a live or rollback-target release still needs the old schema, or an applied migration file changed.',
  },
  BACKUP_NOT_FOUND: {
    status: 404,
    exit: EXIT.usage,
    summary: 'No database backup of that id for the environment.',
  },
  BACKUP_INVALID: {
    status: 422,
    exit: EXIT.failed,
    summary:
      'A backup file does not match its recorded checksum, or a restore did not match its row checksums.',
  },
  ROLLBACK_NOT_WARM: {
    status: 409,
    exit: EXIT.refused,
    summary:
      'An instant rollback is impossible because the previous instances are gone; redeploy the previous release.',
  },
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
  USER_UNKNOWN: {
    status: 403,
    exit: EXIT.refused,
    summary: 'The acting user is not listed under users: in slipway.yaml.',
  },
  APPROVAL_REFUSED: {
    status: 403,
    exit: EXIT.refused,
    summary:
      'An approval or rejection was refused: the deployment finished, the user lacks the role, or four-eyes forbids self-approval.',
  },
  PROMOTION_REFUSED: {
    status: 409,
    exit: EXIT.refused,
    summary:
      'The release has not succeeded in the environment before this one, or its CI did not pass; the message names the environment to pass first.',
  },
  APPROVE_LINK_REFUSED: {
    status: 403,
    exit: EXIT.refused,
    summary:
      'An approve link from a notification was used already, expired, altered or opened for another deployment; the refusal is audited. Open the deployment from the dashboard instead.',
  },
  OVERRIDE_REFUSED: {
    status: 403,
    exit: EXIT.refused,
    summary: 'A gate override needs a reason and a user holding the admin role.',
  },
  DOCTOR_FAILED: {
    status: 422,
    exit: EXIT.failed,
    summary: '`slipway doctor` found checks that fail; each FAIL line above it says what to fix.',
  },
  CHECKLIST_ITEM_UNKNOWN: {
    status: 404,
    exit: EXIT.usage,
    summary: 'No checklist item with that id for this deployment, or it is checked by slipway itself.',
  },
  FORBIDDEN: {
    status: 403,
    exit: EXIT.refused,
    summary: 'The token is valid but its user lacks the role this action needs on this environment.',
  },
  CSRF_INVALID: {
    status: 403,
    exit: EXIT.refused,
    summary: 'A state change through a dashboard session came without the X-CSRF-Token of the session.',
  },
  REQUEST_INVALID: {
    status: 400,
    exit: EXIT.usage,
    summary: 'An API request body or query is malformed; the message names each wrong field.',
  },
  BODY_TOO_LARGE: { status: 413, exit: EXIT.usage, summary: 'An API request body is larger than allowed.' },
  TOKEN_NOT_FOUND: { status: 404, exit: EXIT.usage, summary: 'No API token with that id.' },
  USER_NOT_FOUND: { status: 404, exit: EXIT.usage, summary: 'No user of that name.' },
  DEPLOYMENT_FINISHED: {
    status: 409,
    exit: EXIT.refused,
    summary: 'The deployment already finished; pause, resume, abort or approval no longer apply.',
  },
  AUDIT_CHAIN_BROKEN: {
    status: 409,
    exit: EXIT.failed,
    summary: 'The audit log was edited, or entries removed or reordered; the first bad entry is named.',
  },
  AUDIT_ANCHOR_MISMATCH: {
    status: 409,
    exit: EXIT.failed,
    summary:
      'The audit log is shorter than, or differs from, the head recorded outside the store (.slipway/audit-head or a deployment): truncated or replaced.',
  },
  SERVER_UNREACHABLE: {
    status: 503,
    exit: EXIT.unavailable,
    summary: 'The slipway server at SLIPWAY_URL could not be reached or answered with an error.',
  },
  DECISION_NEEDS_SERVER: {
    status: 403,
    exit: EXIT.refused,
    summary:
      'The store has server users, so approvals, rejections, checklist ticks and overrides are made through the server with a token (SLIPWAY_URL + SLIPWAY_TOKEN), not by the local CLI.',
  },
  IDENTITY_REFUSED: {
    status: 403,
    exit: EXIT.refused,
    summary:
      'SLIPWAY_USER is set but not honoured: slipway.yaml does not allow it (identity.allowSlipwayUser, development only) or the store has server users.',
  },
  FILE_NOT_WRITABLE: {
    status: 500,
    exit: EXIT.unavailable,
    summary:
      'A file slipway must create (e.g. the first admin token of `server --init`) could not be written; the message names it.',
  },
  TOO_MANY_ATTEMPTS: {
    status: 429,
    exit: EXIT.refused,
    summary: 'Too many failed sign-ins from this client (or from everyone); wait the time the message names.',
  },
  FLAGS_INVALID: {
    status: 422,
    exit: EXIT.failed,
    summary:
      'A feature flag definition (flagd format) is refused before it is used or stored; each problem names the flag and its JSON path.',
  },
  FLAG_NOT_FOUND: {
    status: 404,
    exit: EXIT.usage,
    summary: 'No feature flag of that key in the environment or file.',
  },
  FLAG_CONFLICT: {
    status: 409,
    exit: EXIT.refused,
    summary:
      'The flag changed since the version the change was based on (--if-version); read it again and retry.',
  },
  INTERNAL: { status: 500, exit: EXIT.internal, summary: 'A bug in slipway; please report it.' },
  HOST_UNREACHABLE: {
    status: 503,
    exit: EXIT.unavailable,
    summary:
      'A host of the environment could not be reached over SSH: no route, refused, timed out, unknown name, or the user or key was refused.',
  },
  HOST_KEY_REFUSED: {
    status: 409,
    exit: EXIT.refused,
    summary:
      "A host's SSH key is not pinned yet (run `slipway hosts trust ENV`) or differs from the pinned one; the message shows the fingerprint.",
  },
  HOST_DEPLOY_FAILED: {
    status: 422,
    exit: EXIT.failed,
    summary:
      'A deployment across hosts stopped at a host: shipping, starting or the health gate failed there; later hosts were not touched.',
  },
  SERVER_ALREADY_RUNNING: {
    status: 409,
    exit: EXIT.refused,
    summary:
      'Another `slipway server` already serves this SQLite store; several servers need a PostgreSQL store, where one leads.',
  },
  // CI integration (issue 19)
  CI_REPORT_INVALID: {
    status: 400,
    exit: EXIT.usage,
    summary:
      'A test report given with `release create --ci-report` does not parse as JUnit XML or holds no tests; the message names the file, line and what the parser found.',
  },
  CI_REPORT_CONTRADICTS: {
    status: 400,
    exit: EXIT.usage,
    summary:
      'A release was registered as `--ci passed` with a test report that has failing tests; drop --ci (the report decides) or fix the tests.',
  },
  CI_FILE_EXISTS: {
    status: 409,
    exit: EXIT.refused,
    summary:
      '`slipway ci init` would overwrite an existing CI file; look at it, then add --force to replace it.',
  },
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

/** The error envelope of every slipway API (server and agent): `{ error: { code, message, details } }`. */
export function errorEnvelope(error: AppError): {
  error: { code: ErrorCode; message: string; details: readonly string[] };
} {
  return { error: error.toJSON() };
}

/** The AppError an API answered with, or undefined when the text is not one of our envelopes. */
export function fromEnvelope(text: string): AppError | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  type Body = { code?: unknown; message?: unknown; details?: unknown };
  // An agent started by an older slipway answers with the body unwrapped; it may outlive upgrades.
  const e = (parsed as { error?: Body } | null)?.error ?? (parsed as Body | null);
  if (!e || typeof e.code !== 'string' || !(e.code in ERROR_CODES) || typeof e.message !== 'string')
    return undefined;
  const details = Array.isArray(e.details) ? e.details.map(String) : [];
  return new AppError(e.code as ErrorCode, e.message, { details });
}
