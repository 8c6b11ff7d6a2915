/**
 * The dashboard's API client: the session cookie (HttpOnly, set by POST /api/session) goes with
 * every request; every state change also sends the session's CSRF token in X-CSRF-Token.
 */
export interface Me {
  user: string;
  grants: { env: string; role: string }[];
  csrfToken: string | null;
}
export interface Permissions {
  user: string;
  environments: { env: string; actions: string[] }[];
}

let csrf: string | null = null;

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const data = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (!res.ok)
    throw new ApiError(res.status, data?.error?.message ?? `${method} ${path}: HTTP ${res.status}`);
  return data as T;
}

// The session cookie is HttpOnly, so the page cannot see it; this flag only spares a signed-out
// visitor a 401 probe (and its console error). The server decides, as always.
const FLAG = 'slipway.signedIn';

export async function signIn(token: string): Promise<Me> {
  const me = await api<Me>('POST', '/api/session', { token });
  csrf = me.csrfToken;
  localStorage.setItem(FLAG, '1');
  return me;
}

/** The current session, or null when signed out. */
export async function currentUser(): Promise<Me | null> {
  if (!localStorage.getItem(FLAG)) return null;
  try {
    const me = await api<Me>('GET', '/api/session');
    csrf = me.csrfToken;
    return me;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      localStorage.removeItem(FLAG);
      return null;
    }
    throw e;
  }
}

export async function signOut(): Promise<void> {
  localStorage.removeItem(FLAG);
  await api('DELETE', '/api/session');
  csrf = null;
}
