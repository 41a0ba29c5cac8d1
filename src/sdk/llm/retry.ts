import { LlmError } from './types.js';

export interface LlmRetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** The first retry waits up to this long; each further one up to twice as long (full jitter), capped at `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_LLM_RETRY: LlmRetryOptions = { attempts: 4, baseDelayMs: 500, maxDelayMs: 20_000 };

/** Seams for tests: where randomness and waiting come from. */
export interface RetryClock {
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const realClock: RetryClock = { random: Math.random, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/**
 * Runs `attempt` until it succeeds, fails with an error that is not retryable, or runs out of attempts. The wait
 * before retry n is uniform in [0, min(max, base·2^(n−1))] ("full jitter", AWS Architecture Blog, 2015), and never
 * shorter than the server's Retry-After.
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: LlmRetryOptions, clock: RetryClock = realClock, onRetry?: (err: LlmError, delayMs: number) => void): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof LlmError) || !err.retryable || n >= options.attempts) throw err;
      const jitter = clock.random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (n - 1));
      const delay = Math.max(jitter, err.retryAfterMs ?? 0);
      onRetry?.(err, delay);
      await clock.sleep(delay);
    }
  }
}

/** Retry-After as seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
