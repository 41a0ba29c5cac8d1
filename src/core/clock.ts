/** Milliseconds since the epoch; the one clock services read, so tests can reason about it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
