/**
 * A stand-in for HashiCorp Vault, for tests only: Vault cannot be installed on the build machine
 * (not in Debian, no network). It speaks, over real HTTP on 127.0.0.1, the KV version 2 endpoints
 * the vault store uses, with the response shapes and status codes recorded from Vault's API
 * documentation (api-docs/secret/kv/kv-v2): the response envelope (request_id, lease_id, data,
 * warnings, ...), 404 with `{"errors":[]}` for absent paths, 403 `permission denied` for a bad
 * token, 204 for deletes, LIST via the LIST method or `?list=true`, and `max_versions` (default 10)
 * dropping the oldest version. It records every request so tests can check the exact calls.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Version {
  data: Record<string, unknown> | null;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

interface Entry {
  versions: Map<number, Version>;
  current: number;
  created: string;
  updated: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly namespace: string | undefined;
}

export interface RecordedVault {
  readonly address: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** Versions kept per key, like the mount's max_versions (0 = Vault's default of 10). */
  maxVersions: number;
  close(): Promise<void>;
}

const envelope = (data: unknown) => ({
  request_id: randomUUID(),
  lease_id: '',
  renewable: false,
  lease_duration: 0,
  data,
  wrap_info: null,
  warnings: null,
  auth: null,
});

export async function startRecordedVault(
  options: { mount?: string; token?: string } = {},
): Promise<RecordedVault> {
  const mount = options.mount ?? 'secret';
  const token = options.token ?? `hvs.${randomUUID()}`;
  const store = new Map<string, Entry>();
  const requests: RecordedRequest[] = [];
  const state = { maxVersions: 0 };

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://vault');
    let method = req.method ?? 'GET';
    if (method === 'GET' && url.searchParams.get('list') === 'true') method = 'LIST';
    const ns = req.headers['x-vault-namespace'];
    requests.push({
      method,
      path: url.pathname + url.search,
      namespace: typeof ns === 'string' ? ns : undefined,
    });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.headers['x-vault-token'] !== token) return send(res, 403, { errors: ['permission denied'] });
    const m = /^\/v1\/([^/]+)\/(data|metadata)\/(.*)$/.exec(url.pathname);
    if (!m || m[1] !== mount) {
      return send(res, 404, {
        errors: [`no handler for route "${url.pathname.slice(4)}". route entry not found.`],
      });
    }
    const [, , kind, path] = m as unknown as [string, string, string, string];
    const entry = store.get(path);
    const now = new Date().toISOString();
    if (kind === 'data' && method === 'GET') {
      const v = entry && Number(url.searchParams.get('version') ?? entry.current);
      const version = entry?.versions.get(v || entry.current);
      if (!entry || !version) return send(res, 404, { errors: [] });
      const metadata = {
        created_time: version.created_time,
        custom_metadata: null,
        deletion_time: version.deletion_time,
        destroyed: version.destroyed,
        version: v || entry.current,
      };
      if (version.data === null) return send(res, 404, envelope({ data: null, metadata }));
      return send(res, 200, envelope({ data: version.data, metadata }));
    }
    if (kind === 'data' && (method === 'POST' || method === 'PUT')) {
      let body: { data?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { errors: ['error parsing JSON'] });
      }
      if (typeof body.data !== 'object' || body.data === null)
        return send(res, 400, { errors: ['no data provided'] });
      const e = entry ?? { versions: new Map(), current: 0, created: now, updated: now };
      e.current += 1;
      e.updated = now;
      e.versions.set(e.current, {
        data: body.data as Record<string, unknown>,
        created_time: now,
        deletion_time: '',
        destroyed: false,
      });
      const keep = state.maxVersions || 10;
      for (const v of [...e.versions.keys()]
        .sort((a, b) => a - b)
        .slice(0, Math.max(0, e.versions.size - keep))) {
        e.versions.delete(v);
      }
      store.set(path, e);
      return send(
        res,
        200,
        envelope({
          created_time: now,
          custom_metadata: null,
          deletion_time: '',
          destroyed: false,
          version: e.current,
        }),
      );
    }
    if (kind === 'metadata' && method === 'GET') {
      if (!entry) return send(res, 404, { errors: [] });
      const versions: Record<string, Omit<Version, 'data'>> = {};
      for (const [n, v] of entry.versions) {
        versions[String(n)] = {
          created_time: v.created_time,
          deletion_time: v.deletion_time,
          destroyed: v.destroyed,
        };
      }
      return send(
        res,
        200,
        envelope({
          cas_required: false,
          created_time: entry.created,
          current_version: entry.current,
          custom_metadata: null,
          delete_version_after: '0s',
          max_versions: state.maxVersions,
          oldest_version: Math.min(...entry.versions.keys()),
          updated_time: entry.updated,
          versions,
        }),
      );
    }
    if (kind === 'metadata' && method === 'LIST') {
      const prefix = path.endsWith('/') || path === '' ? path : `${path}/`;
      const keys = new Set<string>();
      for (const p of store.keys()) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length);
        const slash = rest.indexOf('/');
        keys.add(slash === -1 ? rest : rest.slice(0, slash + 1));
      }
      if (keys.size === 0) return send(res, 404, { errors: [] });
      return send(res, 200, envelope({ keys: [...keys].sort() }));
    }
    if (kind === 'metadata' && method === 'DELETE') {
      store.delete(path);
      return send(res, 204);
    }
    return send(res, 405, { errors: ['1 error occurred:\n\t* unsupported operation\n\n'] });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, { errors: [String(err)] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    token,
    requests,
    get maxVersions() {
      return state.maxVersions;
    },
    set maxVersions(n: number) {
      state.maxVersions = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
