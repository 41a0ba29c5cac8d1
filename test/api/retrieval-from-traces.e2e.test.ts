import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const T0 = 1_770_000_000_000;
const nanos = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
let n = 0;
/** One OTLP span; a fresh trace each. */
const span = (at: number, attributes: { key: string; value: { stringValue: string } }[]) => {
  n++;
  return {
    traceId: n.toString(16).padStart(32, '0'), spanId: n.toString(16).padStart(16, '0'), name: 'retrieve', kind: 3,
    startTimeUnixNano: nanos(at), endTimeUnixNano: nanos(at + 20), attributes, status: { code: 1 },
  };
};
/** GenAI semantic conventions: the query text and a JSON list of documents. */
const genAi = (at: number, query: string, docs: string[]) => span(at, [
  attr('gen_ai.operation.name', 'retrieval'), attr('gen_ai.retrieval.query.text', query),
  attr('gen_ai.retrieval.documents', JSON.stringify(docs.map((id, i) => ({ id, score: 1 - i / 10 })))),
]);
/** OpenInference: a RETRIEVER span with input.value and flattened retrieval.documents.<i>.document.id. */
const openInference = (at: number, query: string, docs: string[]) => span(at, [
  attr('openinference.span.kind', 'RETRIEVER'), attr('input.value', query),
  ...docs.flatMap((id, i) => [attr(`retrieval.documents.${i}.document.id`, id), attr(`retrieval.documents.${i}.document.content`, `text of ${id}`)]),
]);

const queries = [
  { id: 'q1', text: 'how do I reset my password', relevant: ['d1', 'd2'] },
  { id: 'q2', text: 'I was charged twice', relevant: ['d5'] },
  { id: 'q3', text: 'where is my invoice', relevant: ['d7'] },
  { id: 'q4', text: 'enable two-factor authentication', relevant: ['d9'] },
];

describe('retrieval evaluation from logged traces', () => {
  it('matches OTLP retrieval spans (GenAI conventions and OpenInference) to the questions and gives hand-computed recall and MRR', async () => {
    const api = jsonClient(server.url);
    const exported = await api.post('/v1/traces', { resourceSpans: [{
      resource: { attributes: [attr('service.name', 'support-bot')] },
      scopeSpans: [{ scope: { name: 'rag' }, spans: [
        genAi(T0, 'how do I reset my password', ['d1', 'd2']), // older: the later retrieval of q1 is the one evaluated
        genAi(T0 + 60_000, 'how do I reset my password', ['d3', 'd1', 'd4']),
        openInference(T0 + 1000, 'I was charged twice', ['d5', 'd6']),
        genAi(T0 + 2000, '  Where is my   INVOICE ', ['d8', 'd6', 'd7']), // same question, other case and spacing
        genAi(T0 + 3000, 'what is the weather', ['d1']), // no question of the set
      ] }],
    }] });
    expect(exported.status).toBe(200);

    const evaluated = await api.post('/api/v1/evaluations/retrieval', { dataset: 'faq', queries, k: [1, 3], bootstrap: { resamples: 0 }, fromTraces: {} });
    expect(evaluated.status).toBe(201);
    const m = evaluated.body.result.metrics as Record<string, { value: number }>;
    // By hand, retrieved: q1 [d3 d1 d4], q2 [d5 d6], q3 [d8 d6 d7], q4 nothing.
    // recall@1 = (0/2 + 1 + 0 + 0) / 4; recall@3 = (1/2 + 1 + 1 + 0) / 4; MRR = (1/2 + 1 + 1/3 + 0) / 4.
    expect(m.recall_at_1!.value).toBeCloseTo(0.25, 12);
    expect(m.recall_at_3!.value).toBeCloseTo(0.625, 12);
    expect(m.reciprocal_rank!.value).toBeCloseTo((0.5 + 1 + 1 / 3) / 4, 12);
    expect(m.precision_at_3!.value).toBeCloseTo((1 / 3 + 1 / 3 + 1 / 3 + 0) / 4, 12);

    // Narrowed to before the later q1 retrieval, the older one (d1 d2 first) is evaluated instead: q1's recall@1 = 1/2, MRR 1.
    const older = await api.post('/api/v1/evaluations/retrieval', { dataset: 'faq', queries, k: [1, 3], bootstrap: { resamples: 0 }, fromTraces: { until: T0 + 10_000 } });
    expect(older.body.result.metrics.recall_at_1.value).toBeCloseTo((0.5 + 1 + 0 + 0) / 4, 12);
    expect(older.body.result.metrics.reciprocal_rank.value).toBeCloseTo((1 + 1 + 1 / 3 + 0) / 4, 12);

    const both = await api.post('/api/v1/evaluations/retrieval', { queries, retrieved: [], fromTraces: {} });
    expect([both.status, both.body.error.message]).toEqual([400, expect.stringContaining("'retrieved'")]);
    const none = await api.post('/api/v1/evaluations/retrieval', { queries, fromTraces: { spanName: 'other' } });
    expect([none.status, none.body.error.message]).toEqual([400, expect.stringContaining("'fromTraces'")]);
    const bad = await api.post('/api/v1/evaluations/retrieval', { queries, fromTraces: { since: 'yesterday' } });
    expect([bad.status, bad.body.error.message]).toEqual([400, expect.stringContaining('fromTraces.since')]);

    const file = path.join(server.home, 'questions.jsonl');
    fs.writeFileSync(file, queries.map((q) => JSON.stringify(q)).join('\n'));
    const cli = await runCli(['rag', 'evaluate', file, '--from-traces', '--k', '1,3', '--resamples', '0', '--json', '--url', server.url]);
    expect(cli.stderr).toBe('');
    const viaCli = JSON.parse(cli.stdout) as { result: { metrics: Record<string, { value: number }> } };
    expect(viaCli.result.metrics.recall_at_3!.value).toBeCloseTo(0.625, 12);
  }, 240_000);
});
