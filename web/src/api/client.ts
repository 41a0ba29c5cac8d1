/**
 * The one HTTP client of the UI. The native API answers errors as `{error: {code, message}}`, the MLflow
 * surfaces as `{error_code, message}`; both become an ApiError the pages show as a readable message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

const USER_KEY = 'openexpert.user';

/** With auth off the server takes the user named in basic auth (as MLflow clients send it); approvals record that name. */
export function currentUser(): string {
  try {
    return localStorage.getItem(USER_KEY) ?? '';
  } catch {
    return '';
  }
}

const USER_EVENT = 'openexpert-user';

export function setCurrentUser(user: string): void {
  if (user) localStorage.setItem(USER_KEY, user);
  else localStorage.removeItem(USER_KEY);
  window.dispatchEvent(new Event(USER_EVENT));
}

/** For useSyncExternalStore: pages that show who acts re-render when the name changes. */
export function onCurrentUserChange(listener: () => void): () => void {
  window.addEventListener(USER_EVENT, listener);
  return () => window.removeEventListener(USER_EVENT, listener);
}

/**
 * What the server said about sign-in (GET /api/v1/auth/whoami). Until it has answered, and while auth is on,
 * no basic-auth name is sent: the "Acting as" name is for servers running without sign-in only. With auth on
 * the browser's HttpOnly session cookie authenticates, and changes echo the session's CSRF token.
 */
const session: { authEnabled: boolean | undefined; csrfToken: string | undefined } = { authEnabled: undefined, csrfToken: undefined };

export function setSession(authEnabled: boolean, csrfToken?: string): void {
  session.authEnabled = authEnabled;
  session.csrfToken = csrfToken;
}

const UNAUTHENTICATED_EVENT = 'openexpert-unauthenticated';

/** Any API answer 401 (the session expired or was ended) tells the app to show the sign-in page. */
export function onUnauthenticated(listener: () => void): () => void {
  window.addEventListener(UNAUTHENTICATED_EVENT, listener);
  return () => window.removeEventListener(UNAUTHENTICATED_EVENT, listener);
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Where a 401 is the answer itself (wrong password), not a lost session. */
const SIGN_IN_PATHS: ReadonlySet<string> = new Set(['/api/v1/auth/login', '/api/v1/auth/whoami']);

/** X-Requested-With keeps the server from answering 401 with a basic-auth challenge (the browser's own password dialog). */
function authHeaders(method: string): Record<string, string> {
  const headers: Record<string, string> = { 'x-requested-with': 'XMLHttpRequest' };
  if (session.authEnabled) {
    if (session.csrfToken && !SAFE_METHODS.has(method)) headers['x-csrf-token'] = session.csrfToken;
    return headers;
  }
  const user = session.authEnabled === false ? currentUser() : '';
  if (user) headers.authorization = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:`)))}`;
  return headers;
}

async function failure(res: Response, path: string): Promise<ApiError> {
  if (res.status === 401 && !SIGN_IN_PATHS.has(path.split('?', 1)[0] ?? '')) window.dispatchEvent(new Event(UNAUTHENTICATED_EVENT));
  return errorOf(res);
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) qs.append(key, String(item));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string }; error_code?: string; message?: string };
    if (body.error?.message) return new ApiError(res.status, body.error.code ?? 'ERROR', body.error.message);
    if (body.message) return new ApiError(res.status, body.error_code ?? 'ERROR', body.message);
  } catch {
    // not JSON: fall through to the status line
  }
  return new ApiError(res.status, 'HTTP_ERROR', `${res.status} ${res.statusText || 'error'}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { ...authHeaders(method), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', `Cannot reach the server (${(err as Error).message})`);
  }
  if (!res.ok) throw await failure(res, path);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

/** Raw bytes (artifact previews); `maxBytes` asks for the first bytes only, through a Range request. */
export async function requestBytes(path: string, maxBytes?: number): Promise<{ bytes: Uint8Array; truncated: boolean; size?: number }> {
  const res = await fetch(path, { credentials: 'same-origin', headers: { ...authHeaders('GET'), ...(maxBytes ? { range: `bytes=0-${maxBytes - 1}` } : {}) } });
  if (!res.ok) throw await failure(res, path);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const range = res.headers.get('content-range');
  const total = range ? Number(range.split('/')[1]) : Number(res.headers.get('content-length') ?? bytes.length);
  return { bytes, truncated: res.status === 206 && total > bytes.length, size: Number.isFinite(total) ? total : undefined };
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', withQuery(path, query), undefined, signal);
export const post = <T>(path: string, body: unknown, signal?: AbortSignal) => request<T>('POST', path, body, signal);
export const put = <T>(path: string, body: unknown) => request<T>('PUT', path, body);
export const del = <T>(path: string, query?: Query) => request<T>('DELETE', withQuery(path, query));
