import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/domain/serving/router.js';
import { LanceDbStore } from '../../src/sdk/rag/lancedb.js';
import { MemoryVectorStore } from '../../src/sdk/rag/memory.js';

/**
 * LanceDB's IVF-PQ index keeps each vector as a few bytes of product-quantized code: ranked by those alone, the
 * top 10 of clustered embeddings (as text embeddings are) were mostly wrong. Searches re-score candidates with the
 * exact vectors, so the index finds what an exact scan finds.
 */
describe('LanceDB with an IVF-PQ index', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-lance-index-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the exact top 10 of clustered vectors (compared with an exact in-memory scan)', async () => {
    const rand = seededRandom(42);
    const gauss = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    const D = 32;
    const centroids = Array.from({ length: 50 }, () => Array.from({ length: D }, gauss));
    const docs = Array.from({ length: 6000 }, (_, i) => ({ id: `doc-${i}`, vector: centroids[i % centroids.length]!.map((c) => c + 0.6 * gauss()) }));
    const queries = Array.from({ length: 40 }, () => docs[Math.floor(rand() * docs.length)]!.vector.map((x) => x + 0.3 * gauss()));

    const exact = new MemoryVectorStore();
    await exact.upsert(docs);
    const lance = await LanceDbStore.open({ uri: dir, table: 'clustered' });
    await lance.upsert(docs);
    await lance.createIndex();
    let found = 0;
    for (const q of queries) {
      const truth = new Set((await exact.search(q, 10)).map((h) => h.id));
      found += (await lance.search(q, 10)).filter((h) => truth.has(h.id)).length;
    }
    await lance.close();
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.95);
  }, 120_000);
});
