import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * A server started with --review-pull-seconds pulls every queue fed by predictions or traces by itself: items a
 * rule takes appear without anyone asking for a pull, and never twice however many passes run.
 */
const span = (n: number, status: 'ok' | 'error', startTime: number) => ({
  traceId: n.toString(16).padStart(32, '0'), spanId: n.toString(16).padStart(16, '0'), name: 'answer', kind: 'llm', startTime, status, input: `question ${n}`,
  ...(status === 'ok' ? { output: 'fine' } : {}),
});

describe('background review pulls', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  const items = async () => (await api.get('/api/v1/review/queues/failures/items', { maxResults: 1000 })).body.items as { source: { id: string } }[];
  const waitFor = async (count: number) => {
    for (let i = 0; i < 600; i++) {
      if ((await items()).length >= count) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    server = await startTestServer({ reviewPullSeconds: 1 });
    api = jsonClient(server.url);
  }, 120_000);
  afterAll(() => server?.close());

  it('adds what the rule takes on its own, once per trace, as passes go on', async () => {
    const t0 = Date.now() - 60_000;
    expect((await api.post('/api/v1/traces', { spans: [span(1, 'ok', t0), span(2, 'error', t0 + 1), span(3, 'error', t0 + 2)] })).status).toBeLessThan(300);
    const created = await api.post('/api/v1/review/queues', { name: 'failures', scope: 'llm', labels: ['fine', 'wrong'], rule: "status = 'error'" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await waitFor(2);
    expect((await items()).map((i) => i.source.id).sort()).toEqual([span(2, 'error', 0).traceId, span(3, 'error', 0).traceId]);

    // Later traces are read from where the last pass stopped; a pull on request at the same time adds nothing twice.
    expect((await api.post('/api/v1/traces', { spans: [span(4, 'error', t0 + 3), span(5, 'ok', t0 + 4)] })).status).toBeLessThan(300);
    await api.post('/api/v1/review/queues/failures/pull', {});
    await waitFor(3);
    // Several more passes.
    await new Promise((r) => setTimeout(r, 3000));
    const ids = (await items()).map((i) => i.source.id);
    expect(ids.sort()).toEqual([2, 3, 4].map((n) => span(n, 'error', 0).traceId));
  }, 120_000);
});
