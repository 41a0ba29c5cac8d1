import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type RunningS3rver } from '../../src/artifacts/s3rver.fixture.js';
import { createRng } from '../../src/domain/evaluation/bootstrap.js';
import type { Evaluation } from '../../src/domain/evaluation/types.js';
import { HashingEmbedder, LanceDbStore, OpenExpert, PgVectorStore, VectorRetriever, type RetrievalQuery, type VectorStore } from '../../src/sdk/index.js';
import { withPgUser } from '../../src/store/db.js';
import { TEST_PG_URL as PG_URL } from '../support/backends.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * RAG retrieval evaluation end to end: documents indexed in a real vector store (LanceDB on local disk and on S3,
 * pgvector where the PostgreSQL has it), questions answered through the retriever interface, recall@k evaluated
 * by the server and stored as an evaluation. Checked against an exact cosine search done here in float64 and
 * against recall@k counted here from the lists the store returned.
 */
const embedder = new HashingEmbedder({ dimensions: 256 });
const rng = createRng(7);
const word = () => `w${Math.floor(rng() * 3000)}`;
const docs = Array.from({ length: 300 }, (_, i) => ({ id: `doc-${i}`, text: Array.from({ length: 14 }, word).join(' ') }));
// Each question reuses 4 words of its document (relevance 2) and, for a third of them, of a second one (relevance 1).
const queries: RetrievalQuery[] = Array.from({ length: 40 }, (_, q) => {
  const target = docs[(q * 7) % docs.length]!;
  const words = target.text.split(' ');
  const second = q % 3 === 0 ? docs[(q * 7 + 1) % docs.length]! : undefined;
  const text = [...words.slice(q % 5, (q % 5) + 4), ...(second ? second.text.split(' ').slice(0, 2) : []), word()].join(' ');
  return { id: `q${q}`, text, relevant: second ? { [target.id]: 2, [second.id]: 1 } : { [target.id]: 2 } };
});
const K = [1, 5, 10];
const TEST_PG_URL = withPgUser(PG_URL);
// pgvector runs where the PostgreSQL has the extension; elsewhere the skip says why, in the test's name and on stderr.
const pg = await PgVectorStore.available(TEST_PG_URL);
if (!pg.ok) console.warn(`pgvector tests skipped: CREATE EXTENSION vector failed on ${TEST_PG_URL}: ${pg.reason}`);

const cosine = (a: readonly number[], b: readonly number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
};

/** The exact top-k scores of every question, computed here over all documents in float64. */
async function exactTopScores(k: number): Promise<number[][]> {
  const docVectors = await embedder.embed(docs.map((d) => d.text));
  const queryVectors = await embedder.embed(queries.map((q) => q.text!));
  return queryVectors.map((qv) => docVectors.map((dv) => cosine(qv, dv)).sort((a, b) => b - a).slice(0, k));
}

/** recall@k from retrieved lists, by the formula: relevant among the first k / all relevant, averaged over questions. */
function recallAt(k: number, lists: readonly { id: string }[][]): number {
  return queries.reduce((sum, q, i) => {
    const relevant = Object.keys(q.relevant);
    return sum + lists[i]!.slice(0, k).filter((h) => relevant.includes(h.id)).length / relevant.length;
  }, 0) / queries.length;
}

async function checkStore(store: VectorStore, oe: OpenExpert, dataset: string) {
  const retriever = new VectorRetriever(store, embedder);
  await retriever.index(docs, 128);
  expect(await store.count()).toBe(docs.length);
  const depth = Math.max(...K);
  const lists = await Promise.all(queries.map((q) => retriever.retrieve(q.text!, depth)));
  // Exact search: the scores returned are the true top-k cosines (float32 storage: 1e-5).
  const exact = await exactTopScores(depth);
  lists.forEach((hits, i) => {
    expect(hits.map((h) => h.score)).toEqual(exact[i]!.map((s) => expect.closeTo(s, 5)));
  });
  const e = await oe.retrieval.evaluate({ dataset, queries, retriever, k: K, bootstrap: { resamples: 200, seed: 1 } });
  for (const k of K) expect(e.result.metrics[`recall_at_${k}`]!.value).toBeCloseTo(recallAt(k, lists), 12);
  return { e, lists };
}

describe('RAG retrieval evaluation', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let oe: OpenExpert;
  let dir: string;
  let lanceLists: { id: string }[][] = [];

  beforeAll(async () => {
    server = await startTestServer();
    oe = new OpenExpert({ url: server.url });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-lancedb-'));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('LanceDB on local disk: index, retrieve, evaluate; stored as a ranking evaluation with intervals', async () => {
    const store = await LanceDbStore.open({ uri: dir, table: 'faq' });
    try {
      const { e, lists } = await checkStore(store, oe, 'faq-questions');
      lanceLists = lists;
      expect(e.task).toBe('ranking');
      expect(e.dataset.name).toBe('faq-questions');
      expect(e.result.metrics.recall_at_10!.value).toBeGreaterThan(0.9);
      expect(e.result.metrics.recall_at_10!.ci).toBeDefined();
      const stored = await jsonClient(server.url).get(`/api/v1/evaluations?dataset=faq-questions`);
      expect(stored.body.items.map((x: Evaluation) => x.id)).toEqual([e.id]);
    } finally {
      await store.close();
    }
    // Reopened from disk, it holds the same documents and answers the same.
    const again = await LanceDbStore.open({ uri: dir, table: 'faq' });
    expect(await again.count()).toBe(docs.length);
    await again.upsert([{ id: 'doc-0', text: 'replaced', vector: (await embedder.embed(['replaced']))[0]! }]);
    expect(await again.count()).toBe(docs.length);
    expect((await again.search((await embedder.embed(['replaced']))[0]!, 1))[0]).toMatchObject({ id: 'doc-0', text: 'replaced', score: expect.closeTo(1, 5) });
    await expect(again.search([1, 2, 3], 1)).rejects.toThrow('the query vector has 3 dimensions; the store holds 256');
    await again.close();
  }, 120_000);

  describe('LanceDB on S3 (s3rver)', () => {
    let s3: RunningS3rver;
    beforeAll(async () => {
      s3 = await startS3rver('vectors');
    }, 60_000);
    afterAll(async () => s3?.stop());

    it('the same evaluation with the table in a bucket', async () => {
      const store = await LanceDbStore.open({
        uri: 's3://vectors/rag', table: 'faq',
        storageOptions: { endpoint: s3.config.endpoint!, aws_access_key_id: 'S3RVER', aws_secret_access_key: 'S3RVER', region: 'us-east-1', allow_http: 'true' },
      });
      try {
        await checkStore(store, oe, 'faq-questions-s3');
      } finally {
        await store.close();
      }
    }, 120_000);
  });

  describe.skipIf(!pg.ok)(`pgvector${pg.ok ? '' : ` — skipped: CREATE EXTENSION vector failed (${pg.reason})`}`, () => {
    it('the same evaluation, and the same lists as LanceDB', async () => {
      const table = `rag_test_${process.pid}`;
      const store = await PgVectorStore.open({ connectionString: TEST_PG_URL, table, dimensions: embedder.dimensions });
      try {
        const { lists } = await checkStore(store, oe, 'faq-questions-pg');
        if (lanceLists.length) expect(lists.map((l) => l.map((h) => h.id).slice(0, 5))).toEqual(lanceLists.map((l) => l.map((h) => h.id).slice(0, 5)));
      } finally {
        const { default: pgModule } = await import('pg');
        const c = new pgModule.Client({ connectionString: TEST_PG_URL });
        await c.connect();
        await c.query(`DROP TABLE IF EXISTS ${table}`);
        await c.end();
        await store.close();
      }
    }, 120_000);
  });
});
