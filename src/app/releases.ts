/**
 * Releases, as the application does them for every path (the CLI on this machine, the API's
 * upload): register a folder or archive, list, remove. A release is registered only after its
 * files are in place — staged beside `.slipway/releases/`, digested as they landed, verified,
 * renamed — and then the store row; so no row ever names missing files.
 */

import { ciResultOf } from '../ci/junit.ts';
import { AppError } from '../domain/errors.ts';
import { type CiResult, isTerminal, type Release, type TestReport } from '../domain/types.ts';
import { placeRelease, removeArtifact, type Staged, stageRelease } from '../releases/artifacts.ts';
import { digestOf } from '../releases/digest.ts';
import { parseImageRef, repositoryOf } from '../releases/image-ref.ts';
import { OCI_REVISION, OCI_VERSION, stageImageRelease } from '../releases/image-release.ts';
import { type RegistryCredentials, resolveImage } from '../releases/registry.ts';
import type { Store } from '../store/contract.ts';

export interface ReleaseDeps {
  readonly store: Store;
  /** The project's `.slipway/` folder; content goes to its `releases/`. */
  readonly dataDir: string;
  readonly app: string;
}

export interface RegisterInput {
  /** A folder, or a .tar, .tar.gz or .tgz archive. */
  readonly source: string;
  readonly version: string;
  readonly commit?: string | null;
  readonly ci: CiResult;
  /** The CI test report (`--ci-report`); it decides the CI result when --ci is not given. */
  readonly report?: TestReport | null;
  readonly notes?: string | null;
  readonly user: string;
  /** The content digest the sender computed (an upload); a different one is refused. */
  readonly expectedDigest?: string;
}

export const MAX_VERSION_LENGTH = 128;

/** Control characters (C0, DEL, C1) and Unicode line/paragraph separators and bidi overrides. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const shown = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

/**
 * A version people can read, type and see in a terminal: printable, no spaces or control
 * characters (a newline or an escape sequence would forge lines of `slipway releases`), at most
 * 128 characters.
 */
export function checkVersion(version: string): string {
  const fail = (why: string) =>
    new AppError(
      'RELEASE_VERSION_INVALID',
      `version ${shown(version)} ${why}; use letters, digits and . _ - + (e.g. 1.4.2 or 2026.12.06-3)`,
    );
  if (version.length === 0) throw fail('is empty');
  if (version.length > MAX_VERSION_LENGTH)
    throw fail(`is ${version.length} characters long, over ${MAX_VERSION_LENGTH}`);
  if (CONTROL.test(version)) throw fail('holds a control character (a newline, tab or escape)');
  if (/\s/.test(version)) throw fail('holds a space');
  return version;
}

/** Free text (commit, notes): no control characters besides newlines and tabs in notes. */
export function checkText(
  field: string,
  text: string | null | undefined,
  max: number,
  lines: boolean,
): string | null {
  if (text === undefined || text === null) return null;
  const allowed = lines ? text.replace(/[\n\t]/g, ' ') : text;
  if (CONTROL.test(allowed))
    throw new AppError(
      'USAGE',
      `${field} ${shown(text)} holds a control character (an escape sequence?); give plain text`,
    );
  if (text.length > max)
    throw new AppError('USAGE', `${field} is ${text.length} characters long, over ${max}`);
  return text;
}

/** The fields in which an existing registration differs from a new one. */
function differences(existing: Release, wanted: Omit<Release, 'id' | 'createdAt' | 'createdBy'>): string[] {
  const out: string[] = [];
  const show = (v: string | null) => (v === null ? '(none)' : JSON.stringify(v));
  if (existing.digest !== wanted.digest)
    out.push(`content: digest ${existing.digest} registered, ${wanted.digest} now`);
  if (existing.ci !== wanted.ci) out.push(`CI result: ${existing.ci} registered, ${wanted.ci} now`);
  if (existing.commit !== wanted.commit)
    out.push(`commit: ${show(existing.commit)} registered, ${show(wanted.commit)} now`);
  if (existing.notes !== wanted.notes) out.push('notes: different text');
  if (JSON.stringify(existing.report ?? null) !== JSON.stringify(wanted.report ?? null))
    out.push('CI test report: different counts or failing tests');
  return out;
}

/**
 * Register a release. The same version with the same content and metadata is idempotent
 * (`created: false`, and its files are put back in place if they went missing); any difference is
 * RELEASE_CONFLICT naming what differs.
 */
export async function registerRelease(
  deps: ReleaseDeps,
  input: RegisterInput,
): Promise<{ release: Release; created: boolean }> {
  const version = checkVersion(input.version);
  const commit = checkText('--commit', input.commit, 200, false);
  const notes = checkText('--notes', input.notes, 10_000, true);
  // The source's digest before copying, so a folder changing under us is noticed, not registered.
  const before = input.expectedDigest ?? (await digestOf(input.source)).digest;
  const staged = await stageRelease(deps.dataDir, input.source);
  const { digest } = staged.digested;
  if (digest !== before) {
    await staged.discard();
    throw new AppError(
      'RELEASE_DIGEST_MISMATCH',
      input.expectedDigest
        ? `the content received has digest ${digest}, but the sender announced ${before}; nothing was registered`
        : `${input.source} changed while it was copied (digest ${before} before, ${digest} as copied); register it again`,
    );
  }
  return registerStaged(deps, staged, { ...input, version, commit, notes });
}

/**
 * The second half of registering, for every kind of release (a build's files, an image): compare
 * with an existing registration, put the staged content in place, then the store row and audit.
 */
export async function registerStaged(
  deps: ReleaseDeps,
  stagedIn: Staged,
  input: {
    version: string;
    commit: string | null;
    ci: CiResult;
    report?: TestReport | null;
    notes: string | null;
    user: string;
  },
): Promise<{ release: Release; created: boolean }> {
  let staged: Staged | undefined = stagedIn;
  const { version, commit, notes } = input;
  try {
    const report = input.report ?? null;
    const ci = ciResultOf(input.ci, report);
    const { digest, files, bytes } = staged.digested;
    const wanted = { app: deps.app, version, digest, commit, ci, files, bytes, notes, report };
    const existing = await deps.store.findRelease(deps.app, version);
    if (existing && existing.version === version) {
      const diff = differences(existing, wanted);
      if (diff.length)
        throw new AppError(
          'RELEASE_CONFLICT',
          `release ${deps.app} ${version} is already registered differently; releases are immutable: give this build a new version`,
          { details: diff },
        );
    }
    const placed = await placeRelease(deps.dataDir, staged);
    staged = undefined;
    try {
      const result = await deps.store.putRelease({ ...wanted, createdBy: input.user });
      if (result.created)
        await deps.store.appendAudit({
          actor: input.user,
          action: 'release.create',
          target: `${deps.app}@${version}`,
          data: {
            digest,
            ci,
            files,
            bytes,
            ...(report && { tests: report.tests, failures: report.failures, errors: report.errors }),
          },
        });
      return result;
    } catch (error) {
      // A racing registration of the same version with other content won: take ours back out.
      if (placed && !(await digestInUse(deps, digest))) await removeArtifact(deps.dataDir, digest);
      throw error;
    }
  } finally {
    await staged?.discard();
  }
}

async function digestInUse(deps: ReleaseDeps, digest: string): Promise<boolean> {
  return (await deps.store.listReleases(deps.app, 100_000)).some((r) => r.digest === digest);
}

/** The app's releases, newest first. */
export async function listReleases(
  deps: Pick<ReleaseDeps, 'store' | 'app'>,
  limit: number,
): Promise<readonly Release[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new AppError('USAGE', `--limit: expected a whole number of at least 1, found ${limit}`);
  return deps.store.listReleases(deps.app, limit);
}

/**
 * Remove a registration (and its files, when no other registration has the same content).
 * Refused for a release an environment runs, may roll back to (its previous release), or that a
 * deployment in flight is deploying or leaving.
 */
export async function removeRelease(deps: ReleaseDeps, ref: string, user: string): Promise<Release> {
  const release = await deps.store.findRelease(deps.app, ref);
  if (!release)
    throw new AppError(
      'RELEASE_NOT_FOUND',
      `no release ${shown(ref)} of ${deps.app}; list them with \`slipway releases\``,
    );
  const uses: string[] = [];
  for (const env of await deps.store.listEnvironments(deps.app)) {
    if (env.releaseId === release.id) uses.push(`${env.name} runs it`);
    else if (env.previousReleaseId === release.id) uses.push(`${env.name} may roll back to it`);
  }
  for (const d of await deps.store.listDeployments({ app: deps.app, limit: 200 }))
    if (!isTerminal(d.status) && (d.releaseId === release.id || d.fromReleaseId === release.id))
      uses.push(`deployment ${d.id} on ${d.env} (${d.status}) uses it`);
  if (uses.length)
    throw new AppError(
      'RELEASE_IN_USE',
      `release ${deps.app} ${release.version} is in use and stays registered: ${uses.join('; ')}`,
      {
        details: ['deploy another release there first (the one before it then becomes the rollback target)'],
      },
    );
  await deps.store.deleteRelease(deps.app, release.id);
  if (!(await digestInUse(deps, release.digest))) await removeArtifact(deps.dataDir, release.digest);
  await deps.store.appendAudit({
    actor: user,
    action: 'release.remove',
    target: `${deps.app}@${release.version}`,
    data: { digest: release.digest, id: release.id },
  });
  return release;
}

export interface RegisterImageInput {
  /** `REGISTRY/NAME:TAG` or `REGISTRY/NAME@sha256:…`. */
  readonly image: string;
  /** Default: the image's org.opencontainers.image.version label. */
  readonly version?: string | undefined;
  /** Default: the image's org.opencontainers.image.revision label. */
  readonly commit?: string | null | undefined;
  readonly ci: CiResult;
  readonly report?: TestReport | null;
  readonly notes?: string | null;
  readonly user: string;
  readonly credentials?: RegistryCredentials | undefined;
  /** The repository slipway.yaml's run.image names; an image of another one is refused. */
  readonly repository?: string | undefined;
}

/**
 * Register an image as a release: the tag is resolved to its digest in the registry (for this
 * host's platform), and that digest is the release's identity. Nothing is registered when the
 * registry, the image or the platform is wrong.
 */
export async function registerImageRelease(
  deps: ReleaseDeps,
  input: RegisterImageInput,
): Promise<{ release: Release; created: boolean; image: string }> {
  const ref = parseImageRef(input.image);
  if (input.repository !== undefined && repositoryOf(ref) !== input.repository)
    throw new AppError(
      'USAGE',
      `--image ${input.image} is not in ${input.repository}, the repository slipway.yaml's run.image names; push it there or change run.image`,
    );
  const resolved = await resolveImage(ref, input.credentials);
  // An empty label (a build-arg left unset) counts as none.
  const version = input.version ?? (resolved.labels[OCI_VERSION] || undefined);
  if (version === undefined)
    throw new AppError(
      'USAGE',
      `image ${input.image} has no ${OCI_VERSION} label; give --version (e.g. --version 1.4.2)`,
    );
  const staged = await stageImageRelease(deps.dataDir, resolved);
  const result = await registerStaged(deps, staged, {
    version: checkVersion(version),
    commit: checkText('--commit', input.commit ?? (resolved.labels[OCI_REVISION] || null), 200, false),
    notes: checkText('--notes', input.notes, 10_000, true),
    ci: input.ci,
    report: input.report ?? null,
    user: input.user,
  });
  return { ...result, image: resolved.image };
}
