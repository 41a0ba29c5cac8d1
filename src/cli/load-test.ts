import autocannon from 'autocannon';

export interface LoadTestOptions {
  readonly url: string;
  readonly body: string;
  readonly connections: number;
  readonly durationS: number;
  /** Requests per second across all connections; as fast as possible when absent. */
  readonly rps?: number;
  readonly headers?: Record<string, string>;
}

export interface LoadTestSummary {
  readonly requests: number;
  readonly throughputRps: number;
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly errors: number;
  readonly non2xx: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * POSTs one JSON body over and over with autocannon. Latency percentiles come from each response's
 * own timing (autocannon's histogram keeps whole milliseconds, too coarse for sub-millisecond models).
 */
export async function runLoadTest(o: LoadTestOptions): Promise<LoadTestSummary> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: o.url, method: 'POST', body: o.body, headers: { 'content-type': 'application/json', ...o.headers },
      connections: o.connections, duration: o.durationS, ...(o.rps ? { overallRate: o.rps } : {}),
    }, (err, r) => (err ? reject(err as Error) : resolve(r)));
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(ms);
    });
  });
  latencies.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    requests: result.requests.total,
    throughputRps: Math.round(result.requests.total / result.duration),
    latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? 0) },
    errors: result.errors,
    non2xx: result.non2xx,
  };
}
