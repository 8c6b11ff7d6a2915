/**
 * Deployments reported to GitHub (REST "Deployments" and "Deployment statuses"), so the commit's
 * pull request shows where it runs: one GitHub deployment per slipway deployment, `in_progress`
 * when it starts, then `success`, `failure` (rolled back, failed) or `error` (aborted), with the
 * environment's URL. Two REST calls over fetch rather than Octokit: the calls are fixed, and
 * Octokit's dozen packages would add nothing the contract test does not check.
 *
 * Reporting never decides a deployment: any failure (network, 401, 422) becomes a note saying
 * what GitHub answered. The token (GITHUB_TOKEN) is sent in a header only, never in a message.
 */
import type { DeploymentContext } from '../engine/context.ts';
import type { DeploymentReporter } from '../engine/ports.ts';

export const GITHUB_API = 'https://api.github.com';
/** The REST API version the requests are written against (and the contract test records). */
export const GITHUB_API_VERSION = '2022-11-28';

export interface GithubReporterOptions {
  /** `owner/name` of the repository. */
  readonly repository: string;
  /** Base URL of the REST API: GitHub's, or a GitHub Enterprise Server's `https://HOST/api/v3`. */
  readonly api?: string;
  readonly token: string;
  /** The commit a release was built from (`release create --commit`), by release id. */
  commitOf(ctx: DeploymentContext): Promise<string | null>;
  /** The environment's URL people open (slipway.yaml `url`), if any. */
  urlOf(ctx: DeploymentContext): string | undefined;
  /** True for the last environment of the lifecycle (GitHub's `production_environment`). */
  isProduction(env: string): boolean;
  readonly fetch?: typeof fetch;
}

type Final = 'succeeded' | 'rolled_back' | 'failed' | 'aborted';
const STATE: Record<Final, 'success' | 'failure' | 'error'> = {
  succeeded: 'success',
  rolled_back: 'failure',
  failed: 'failure',
  aborted: 'error',
};

/** GitHub keeps 140 characters of a status description. */
const short = (text: string) => (text.length > 140 ? `${text.slice(0, 139)}…` : text);

export function createGithubReporter(o: GithubReporterOptions): DeploymentReporter {
  const api = (o.api ?? GITHUB_API).replace(/\/+$/, '');
  const http = o.fetch ?? fetch;
  // slipway deployment id → GitHub deployment id; a deployment resumed by another process gets a new one.
  const created = new Map<string, number>();

  async function call(path: string, body: unknown): Promise<{ id?: number }> {
    const response = await http(`${api}/repos/${o.repository}${path}`, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${o.token}`,
        'x-github-api-version': GITHUB_API_VERSION,
        'user-agent': 'slipway',
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {}
      throw new Error(`GitHub answered ${response.status} to POST ${path}: ${message}`);
    }
    return JSON.parse(text) as { id?: number };
  }

  async function deploymentFor(id: string, ctx: DeploymentContext): Promise<number | string> {
    const known = created.get(id);
    if (known !== undefined) return known;
    const ref = await o.commitOf(ctx);
    if (!ref)
      return `release ${ctx.release.version} has no commit (register it with --commit SHA); GitHub shows deployments by commit`;
    const made = await call('/deployments', {
      ref,
      environment: ctx.env,
      description: short(`slipway ${ctx.release.version} (${id})`),
      // The release was built and tested already; GitHub must not merge or wait on checks.
      auto_merge: false,
      required_contexts: [],
      production_environment: o.isProduction(ctx.env),
      payload: { slipway: { deployment: id, release: ctx.release.version } },
    });
    if (typeof made.id !== 'number') throw new Error('GitHub answered without a deployment id');
    created.set(id, made.id);
    return made.id;
  }

  async function status(id: string, ctx: DeploymentContext, state: string, description: string) {
    const gh = await deploymentFor(id, ctx);
    if (typeof gh === 'string') return `GitHub not told: ${gh}`;
    const url = o.urlOf(ctx);
    await call(`/deployments/${gh}/statuses`, {
      state,
      description: short(description),
      ...(url !== undefined && { environment_url: url }),
      auto_inactive: state === 'success',
    });
    return `GitHub deployment ${gh}: ${state}`;
  }

  const guarded = async (work: () => Promise<string>) => {
    try {
      return await work();
    } catch (error) {
      return `GitHub not told: ${(error as Error).message}`;
    }
  };

  return {
    name: 'github',
    started: (id, ctx) =>
      guarded(() => status(id, ctx, 'in_progress', `deploying ${ctx.release.version} to ${ctx.env}`)),
    finished: (id, ctx, outcome, reason) =>
      guarded(async () => {
        const note = await status(
          id,
          ctx,
          STATE[outcome],
          outcome === 'succeeded'
            ? `${ctx.release.version} is live on ${ctx.env}`
            : `${outcome}: ${reason ?? ''}`,
        );
        created.delete(id);
        return note;
      }),
  };
}
