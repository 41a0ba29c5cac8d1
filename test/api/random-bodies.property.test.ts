import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { buildServer } from '../../src/main.js';
import { CHECKED_REPLIES } from '../support/server.js';

/**
 * Random bodies and query strings at every route: the answer is always a 2xx or a 4xx with an error body,
 * never a 500, and the server keeps serving. Field names the routes read are mixed in so that generated
 * input gets past the outer validation and into the services.
 */
let app: FastifyInstance;
let close: () => Promise<void>;
let home: string;
const routes: { method: string; url: string }[] = [];
let runId = '';
let experimentId = '';

const FIELDS = [
  'run_id', 'run_uuid', 'experiment_id', 'experiment_ids', 'experiment_name', 'name', 'new_name', 'key', 'value', 'timestamp',
  'step', 'metrics', 'params', 'tags', 'filter', 'order_by', 'max_results', 'page_token', 'view_type', 'run_view_type', 'status',
  'end_time', 'start_time', 'run_name', 'user_id', 'metric_key', 'run_ids', 'start_step', 'end_step', 'datasets', 'artifact_location',
  'experimentId', 'experimentIds', 'runName', 'orderBy', 'maxResults', 'pageToken', 'view', 'endTime', 'startTime',
];

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-prop-'));
  const server = await buildServer(loadConfig({ home, port: 0, logLevel: 'silent' }, CHECKED_REPLIES));
  app = server.app;
  close = server.close;
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD' && r.url !== '/metrics') routes.push({ method, url: r.url });
  });
  await app.ready();
  experimentId = JSON.parse((await app.inject({ method: 'POST', url: '/api/2.0/mlflow/experiments/create', payload: { name: 'prop' } })).body).experiment_id;
  const run = await app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/create', payload: { experiment_id: experimentId } });
  runId = JSON.parse(run.body).run.info.run_id;
});
afterAll(async () => {
  await close();
  fs.rmSync(home, { recursive: true, force: true });
});

const scalar = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('NaN', 'Infinity', '0', '-1', '1e400', "metrics.a > 1 and params.b = 'x'", 'tags.`a` LIKE \'%\'', 'ACTIVE_ONLY', 'FINISHED'),
  fc.constantFrom('RUN', 'EXPERIMENT').map((k) => (k === 'RUN' ? runId : experimentId)),
);
const value = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.constantFrom(...FIELDS, 'x'), tie('v'), { maxKeys: 4 })),
})).v;
const body = fc.oneof(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 }), value, fc.string());
const query = fc.dictionary(fc.constantFrom(...FIELDS), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('RUN', '0', '-5', '99999999999999999999').map((v) => (v === 'RUN' ? runId : v))), { maxKeys: 5 });

describe('random input at every route', () => {
  it('never answers 5xx', async () => {
    const statuses: Record<number, number> = {};
    expect(routes.length).toBeGreaterThan(30);
    await fc.assert(
      fc.asyncProperty(fc.nat(), body, query, fc.boolean(), async (pick, payload, q, rawText) => {
        const route = routes[pick % routes.length]!;
        const url = route.url.replace(/:(\w+)/g, (_, p: string) => (p === 'id' ? (pick % 2 ? runId : experimentId) : 'acc'));
        const res = await app.inject({
          method: route.method as 'GET',
          url,
          query: q as Record<string, string>,
          ...(route.method === 'GET' ? {} : rawText
            ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload).slice(0, -1), headers: { 'content-type': 'application/json' } }
            : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
        });
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 500) throw new Error(`${route.method} ${url} → ${res.statusCode}: ${res.body}`);
        if (res.statusCode >= 400) expect(res.json()).toBeTypeOf('object');
      }),
      { numRuns: 3000 },
    );
    // The generator must reach the services, not only bounce off validation.
    expect(statuses[200] ?? 0).toBeGreaterThan(50);
    const health = await app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(health.statusCode).toBe(200);
  });
});
