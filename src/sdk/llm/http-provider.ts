import { retryAfterMs } from './retry.js';
import { LlmError } from './types.js';

export interface HttpProviderOptions {
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly model: string;
  /** Per attempt, from sending the request to the last byte of the answer (streams included). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
  readonly headers?: Readonly<Record<string, string>>;
}

const retryableStatus = (status: number) => status === 429 || status === 408 || status >= 500;

/**
 * One POST with a deadline: an HTTP error becomes an LlmError (retryable for 408, 429 and 5xx, carrying
 * Retry-After), as do a timeout and a connection failure (both retryable). Returns the response to read.
 */
export async function post(opts: HttpProviderOptions, path: string, headers: Record<string, string>, body: unknown, signal: AbortSignal | undefined): Promise<{ res: Response; deadline: AbortSignal }> {
  const deadline = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 60_000), ...(signal ? [signal] : [])]);
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(opts.baseUrl.replace(/\/+$/, '') + path, {
      method: 'POST', headers: { 'content-type': 'application/json', ...opts.headers, ...headers }, body: JSON.stringify(body), signal: deadline,
    });
  } catch (err) {
    throw transportError(err, signal);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw new LlmError(`${path} answered ${res.status}: ${text.slice(0, 500)}`, res.status, retryableStatus(res.status), retryAfterMs(res.headers.get('retry-after')));
  }
  return { res, deadline };
}

/** A caller's own abort is final; a timeout or a dropped connection is worth another attempt. */
export function transportError(err: unknown, signal: AbortSignal | undefined): Error {
  if (err instanceof LlmError) return err;
  if (signal?.aborted) return err as Error;
  const name = (err as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new LlmError('the provider did not answer in time', 0, true, undefined, { cause: err });
  return new LlmError(`could not reach the provider: ${(err as Error).message}`, 0, true, undefined, { cause: err });
}

export async function readJson(res: Response, signal: AbortSignal | undefined): Promise<unknown> {
  try {
    return JSON.parse(await res.text()) as unknown;
  } catch (err) {
    if (err instanceof SyntaxError) throw new LlmError('the provider answered something that is not JSON', res.status, false);
    throw transportError(err, signal);
  }
}

/** Server-sent events (WHATWG HTML §9.2): `event:` and `data:` lines, a blank line ends an event. */
export async function* serverSentEvents(res: Response, signal: AbortSignal | undefined): AsyncGenerator<{ event: string; data: string }> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? nl + 2 : nl + 1);
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
        } else if (line.startsWith(':')) continue;
        else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
        }
      }
    }
  } catch (err) {
    throw transportError(err, signal);
  }
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
}
