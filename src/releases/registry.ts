/**
 * A small client of the Docker Registry HTTP API v2 (the OCI distribution spec), for what
 * registering an image release needs: resolve a tag to the digest of the manifest this host would
 * run (an index is narrowed to the host's platform), and read that image's config (platform, OCI
 * labels) and size. Basic auth and the bearer-token flow are supported; loopback registries are
 * spoken to over plain HTTP, every other one over HTTPS.
 */
import { AppError } from '../domain/errors.ts';
import { type ImageRef, repositoryOf, showRef } from './image-ref.ts';

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

export interface ResolvedImage {
  /** `sha256:…` of the manifest for this platform: the release's identity. */
  readonly digest: string;
  /** `registry/name@digest`: what the runtime pulls. */
  readonly image: string;
  readonly platform: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Sum of the layer sizes (compressed). */
  readonly bytes: number;
  readonly layers: number;
}

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const ACCEPT = [MANIFEST, INDEX, DOCKER_MANIFEST, DOCKER_LIST].join(', ');

/** This host's platform as images name it (`linux/amd64`). */
export function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

function baseUrl(registry: string): string {
  const host = registry.replace(/:\d+$/, '');
  const loopback = host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  return `${loopback ? 'http' : 'https'}://${registry}`;
}

interface Manifest {
  mediaType?: string;
  manifests?: { digest: string; mediaType?: string; platform?: { os?: string; architecture?: string } }[];
  config?: { digest: string };
  layers?: { size?: number }[];
}

class Session {
  private authorization: string | undefined;
  private readonly ref: ImageRef;
  private readonly credentials: RegistryCredentials | undefined;

  constructor(ref: ImageRef, credentials: RegistryCredentials | undefined) {
    this.ref = ref;
    this.credentials = credentials;
  }

  async get(path: string, accept: string): Promise<Response> {
    const url = `${baseUrl(this.ref.registry)}/v2/${this.ref.name}/${path}`;
    let response = await this.fetch(url, accept);
    if (response.status === 401 && this.authorization === undefined) {
      this.authorization = await this.login(response.headers.get('www-authenticate') ?? '');
      response = await this.fetch(url, accept);
    }
    if (response.status === 401 || response.status === 403) {
      throw new AppError(
        'REGISTRY_AUTH_FAILED',
        `the registry ${this.ref.registry} refused access to ${showRef(this.ref)} (HTTP ${response.status}); ${
          this.credentials
            ? 'check SLIPWAY_REGISTRY_USERNAME and SLIPWAY_REGISTRY_PASSWORD'
            : 'set SLIPWAY_REGISTRY_USERNAME and SLIPWAY_REGISTRY_PASSWORD to a login that may pull it'
        }`,
      );
    }
    return response;
  }

  private async fetch(url: string, accept: string): Promise<Response> {
    try {
      return await fetch(url, {
        headers: { accept, ...(this.authorization && { authorization: this.authorization }) },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      type Cause = { code?: string; message?: string; errors?: { code?: string }[] };
      const c = (error as { cause?: Cause }).cause;
      const cause = c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? (error as Error).message;
      throw new AppError(
        'IMAGE_PULL_FAILED',
        `the registry ${this.ref.registry} of ${showRef(this.ref)} cannot be reached (${cause}); check the address and that the registry runs`,
      );
    }
  }

  /** The Authorization header for a 401's challenge: Basic, or a bearer token from the realm. */
  private async login(challenge: string): Promise<string | undefined> {
    if (!this.credentials) return undefined;
    const basic = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    if (/^basic/i.test(challenge)) return basic;
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm) return basic;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.name}:pull`);
    const response = await fetch(url, {
      headers: { authorization: basic },
      signal: AbortSignal.timeout(30_000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }
}

async function manifestOf(session: Session, ref: ImageRef, reference: string) {
  const response = await session.get(`manifests/${reference}`, ACCEPT);
  if (response.status === 404) {
    throw new AppError(
      'IMAGE_NOT_FOUND',
      `image ${showRef(ref)} is not in the registry ${ref.registry}${ref.tag && !ref.digest ? ` (no tag ${ref.tag})` : ''}; push it first (\`podman push\` / \`docker push\`) or check the name`,
    );
  }
  if (!response.ok)
    throw new AppError(
      'IMAGE_PULL_FAILED',
      `the registry ${ref.registry} answered ${response.status} for ${showRef(ref)}; check that it is a registry (API v2)`,
    );
  const digest = response.headers.get('docker-content-digest') ?? reference;
  return { digest, manifest: (await response.json()) as Manifest };
}

/** Resolves `ref` to the image this host would run; errors name the image and the fix. */
export async function resolveImage(ref: ImageRef, credentials?: RegistryCredentials): Promise<ResolvedImage> {
  const session = new Session(ref, credentials);
  const host = hostPlatform();
  const wanted = `${host.os}/${host.architecture}`;
  let { digest, manifest } = await manifestOf(session, ref, ref.digest ?? ref.tag ?? 'latest');
  if (manifest.manifests) {
    const match = manifest.manifests.find(
      (m) => m.platform?.os === host.os && m.platform?.architecture === host.architecture,
    );
    if (!match)
      throw platformError(
        ref,
        wanted,
        manifest.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`),
      );
    ({ digest, manifest } = await manifestOf(session, ref, match.digest));
  }
  if (!manifest.config)
    throw new AppError('IMAGE_NOT_FOUND', `${showRef(ref)} is not an image manifest (no config)`);
  const blob = await session.get(`blobs/${manifest.config.digest}`, '*/*');
  if (!blob.ok)
    throw new AppError('IMAGE_NOT_FOUND', `the config of ${showRef(ref)} is missing from the registry`);
  const config = (await blob.json()) as {
    os?: string;
    architecture?: string;
    config?: { Labels?: Record<string, string> };
  };
  const platform = `${config.os}/${config.architecture}`;
  if (platform !== wanted) throw platformError(ref, wanted, [platform]);
  const layers = manifest.layers ?? [];
  return {
    digest,
    image: `${repositoryOf(ref)}@${digest}`,
    platform,
    labels: config.config?.Labels ?? {},
    bytes: layers.reduce((sum, l) => sum + (l.size ?? 0), 0),
    layers: layers.length,
  };
}

function platformError(ref: ImageRef, wanted: string, has: string[]): AppError {
  return new AppError(
    'IMAGE_PLATFORM_MISMATCH',
    `image ${showRef(ref)} is built for ${has.join(', ')}, not for this host (${wanted}); build it for ${wanted} (e.g. \`docker build --platform ${wanted}\`)`,
  );
}
