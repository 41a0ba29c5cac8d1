import { invalid } from './errors.js';

/**
 * Page tokens are opaque to clients: base64 of `{"offset": N}`, as MLflow's own are. A token from
 * elsewhere, or one edited by hand, is bad input rather than a reason to return the first page.
 */
export function encodePageToken(offset: number | undefined): string | undefined {
  return offset === undefined ? undefined : Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodePageToken(token: string | undefined | null, field = 'page_token'): number {
  if (token === undefined || token === null || token === '') return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    const offset = (parsed as { offset?: unknown } | null)?.offset;
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error below
  }
  throw invalid(`Invalid ${field} '${token}'`);
}

export function checkMaxResults(value: number | undefined, { field = 'max_results', fallback = 1000, max = 50_000 } = {}): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`Invalid value ${value} for parameter '${field}' supplied. It must be a positive integer at most ${max}`);
  }
  return value;
}

/**
 * A keyset page token: the sort key of the last item handed out, so the next page starts right after it with an
 * index seek instead of skipping over every earlier page. Opaque to clients, like the offset tokens.
 */
export function encodeKeysetToken(after: readonly number[]): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64');
}

export function decodeKeysetToken(token: string | undefined | null, length: number, field = 'page_token'): number[] | undefined {
  if (token === undefined || token === null || token === '') return undefined;
  try {
    const after = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown } | null)?.after;
    if (Array.isArray(after) && after.length === length && after.every((n) => typeof n === 'number' && Number.isFinite(n))) return after as number[];
  } catch {
    // fall through to the error below
  }
  throw invalid(`Invalid ${field} '${token}'`);
}
