import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyPgSchema } from '../support/backends.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * Two server replicas on one PostgreSQL database (a fresh schema), as a platform team runs them behind a
 * load balancer: both migrate on start without tripping over each other, and writes through one are
 * read through the other.
 */
let schema: Awaited<ReturnType<typeof emptyPgSchema>>;
let replicas: Awaited<ReturnType<typeof startTestServer>>[] = [];

beforeAll(async () => {
  schema = await emptyPgSchema('replicas');
  replicas = await Promise.all([startTestServer({ db: schema.url }), startTestServer({ db: schema.url })]);
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await schema?.drop();
});

describe('replicas on PostgreSQL', () => {
  it('share one store: concurrent writes through both, every one visible through either', async () => {
    const [a, b] = replicas.map((r) => jsonClient(r.url)) as [ReturnType<typeof jsonClient>, ReturnType<typeof jsonClient>];
    const exp = (await a.post('/api/2.0/mlflow/experiments/create', { name: 'shared' })).body.experiment_id;
    expect((await b.get('/api/2.0/mlflow/experiments/get-by-name', { experiment_name: 'shared' })).body.experiment.experiment_id).toBe(exp);

    const runIds = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const api = i % 2 ? a : b;
        const id = (await api.post('/api/2.0/mlflow/runs/create', { experiment_id: exp, run_name: `r${i}` })).body.run.info.run_id as string;
        const batch = await api.post('/api/2.0/mlflow/runs/log-batch', {
          run_id: id,
          metrics: Array.from({ length: 100 }, (_, s) => ({ key: 'loss', value: s / 100, timestamp: s, step: s })),
          params: [{ key: 'i', value: String(i) }],
        });
        expect(batch.status).toBe(200);
        return id;
      }),
    );
    const found = await a.post('/api/2.0/mlflow/runs/search', { experiment_ids: [exp], filter: "params.i IN ('1', '3', '5')", order_by: ['params.i ASC'] });
    expect(found.body.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([runIds[1], runIds[3], runIds[5]]);
    const history = await b.get('/api/2.0/mlflow/metrics/get-history', { run_id: runIds[0]!, metric_key: 'loss' });
    expect(history.body.metrics).toHaveLength(100);
    // A param is immutable across replicas too.
    const conflict = await b.post('/api/2.0/mlflow/runs/log-parameter', { run_id: runIds[1], key: 'i', value: 'other' });
    expect(conflict.status).toBe(400);
  });
});
