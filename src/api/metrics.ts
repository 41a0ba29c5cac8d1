import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics per route template (not per URL, so ids do not explode the label set). */
export function registerMetrics(app: FastifyInstance): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'openexpert_' });
  const requests = new Counter({
    name: 'openexpert_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'openexpert_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status_code: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}

/**
 * A maker of gauges filled at scrape time from the database, so every replica reports the same figures. The
 * snapshot is read once per scrape and shared by every gauge's collect().
 */
export function scrapedGauges<S>(registry: Registry, snapshot: () => Promise<S>) {
  let current: Promise<S> | undefined;
  const read = () => {
    current ??= snapshot().finally(() => setImmediate(() => (current = undefined)));
    return current;
  };
  return <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, s: S) => void) =>
    new Gauge<L>({
      name, help, labelNames, registers: [registry],
      async collect() {
        this.reset();
        fill(this, await read());
      },
    });
}
