/** The SDK's transport: JSON over fetch, typed errors, and retries with backoff for failures worth retrying. */

/** The server's error codes, plus the SDK's own for a server it could not reach or could not understand. */
export type OpenExpertErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_STATE'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'INTERNAL_ERROR'
  | 'CONNECTION_ERROR'
  | (string & {});

/** Everything the SDK throws about a request: `status` is the HTTP status, or 0 when no response came back. */
export class OpenExpertError extends Error {
  override readonly name = 'OpenExpertError';
  constructor(
    readonly code: OpenExpertErrorCode,
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RetryOptions {
  /** Attempts in all, the first included (8 by default). */
  readonly attempts: number;
  /** Backoff before the first retry, doubled for each one after, with full jitter (200 ms by default). */
  readonly baseDelayMs: number;
  /** Ceiling of a single backoff (8 s by default). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 8, baseDelayMs: 200, maxDelayMs: 8_000 };

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Record<string, string | number | readonly string[] | undefined>;
  readonly headers?: Record<string, string>;
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** Connection-level failures: Node's fetch reports them as a TypeError whose `cause` carries the errno code. */
function isConnectionError(err: unknown): boolean {
  if (err instanceof TypeError) return true;
  const code = (e: unknown) => (typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined);
  const c = code(err) ?? code((err as { cause?: unknown } | null)?.cause);
  return typeof c === 'string' && RETRYABLE_CODES.has(c);
}

const retryableStatus = (status: number) => status === 429 || status >= 500;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HttpClient {
  readonly baseUrl: string;
  private readonly retry: RetryOptions;

  constructor(
    url: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: typeof fetch,
    retry: Partial<RetryOptions> = {},
  ) {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`OpenExpert url must be http(s), got '${url}'`);
    this.baseUrl = url.replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY, ...retry };
  }

  /**
   * One logical request: retried on connection errors, 429 and 5xx; a 4xx is the caller's mistake and
   * is thrown at once. The same headers (an Idempotency-Key among them) go out on every attempt.
   */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = this.baseUrl + path + queryString(opts.query);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);

    for (let attempt = 1; ; attempt++) {
      let failure: OpenExpertError;
      let retryAfterMs = 0;
      try {
        const res = await this.fetchImpl(url, { method, headers, body });
        const text = await res.text();
        if (res.ok) return (text ? JSON.parse(text) : {}) as T;
        failure = errorFromResponse(res.status, text);
        if (!retryableStatus(res.status)) throw failure;
        retryAfterMs = retryAfter(res.headers.get('retry-after'));
      } catch (err) {
        if (err instanceof OpenExpertError) throw err;
        if (!isConnectionError(err)) throw err;
        failure = new OpenExpertError('CONNECTION_ERROR', 0, `${method} ${url} failed: ${describe(err)}`, { cause: err });
      }
      if (attempt >= this.retry.attempts) throw failure;
      const backoff = Math.random() * Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.max(backoff, Math.min(retryAfterMs, this.retry.maxDelayMs)));
    }
  }
}

function queryString(query: RequestOptions['query']): string {
  if (!query) return '';
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) qs.append(key, String(item));
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

/** Native errors are `{error: {code, message}}`; MLflow-style `{error_code, message}` is understood too. */
function errorFromResponse(status: number, text: string): OpenExpertError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; error_code?: unknown; message?: unknown };
    const e = body.error ?? body;
    const c = 'code' in e ? e.code : (e as { error_code?: unknown }).error_code;
    if (typeof c === 'string') code = c;
    if (typeof e.message === 'string') message = e.message;
  } catch {
    // not JSON: a proxy's error page, say
  }
  return new OpenExpertError(code ?? fallbackCode(status), status, message ?? (text.slice(0, 200) || `HTTP ${status}`));
}

function fallbackCode(status: number): OpenExpertErrorCode {
  switch (status) {
    case 400: return 'INVALID_PARAMETER_VALUE';
    case 401: return 'UNAUTHENTICATED';
    case 403: return 'PERMISSION_DENIED';
    case 404: return 'RESOURCE_DOES_NOT_EXIST';
    case 429:
    case 503: return 'TEMPORARILY_UNAVAILABLE';
    default: return status >= 500 ? 'INTERNAL_ERROR' : `HTTP_${status}`;
  }
}

/** Retry-After in seconds (the HTTP-date form is rare from APIs and ignored). */
function retryAfter(header: string | null): number {
  const seconds = header ? Number(header) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return detail ? `${message} (${detail})` : message;
}
