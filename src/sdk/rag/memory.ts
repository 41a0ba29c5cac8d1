import { checkVector, type VectorDocument, type VectorHit, type VectorStore } from './types.js';

/**
 * Exact cosine search over vectors held in memory (float64): for tests, small corpora and as the reference
 * other stores are checked against. Ties rank by id.
 */
export class MemoryVectorStore implements VectorStore {
  readonly kind = 'memory';
  private readonly docs = new Map<string, { vector: number[]; norm: number; text?: string }>();
  private dimensions: number | undefined;

  upsert(docs: readonly VectorDocument[]): Promise<void> {
    for (const d of docs) {
      this.dimensions ??= d.vector.length;
      checkVector(d.vector, this.dimensions, `document '${d.id}'`);
      this.docs.set(d.id, { vector: [...d.vector], norm: Math.hypot(...d.vector), ...(d.text !== undefined ? { text: d.text } : {}) });
    }
    return Promise.resolve();
  }

  search(vector: readonly number[], k: number): Promise<VectorHit[]> {
    if (this.dimensions === undefined) return Promise.resolve([]);
    checkVector(vector, this.dimensions, 'the query vector');
    const qn = Math.hypot(...vector);
    const hits: VectorHit[] = [];
    for (const [id, d] of this.docs) {
      let dot = 0;
      for (let i = 0; i < vector.length; i++) dot += vector[i]! * d.vector[i]!;
      const denominator = qn * d.norm;
      hits.push({ id, score: denominator === 0 ? 0 : dot / denominator, ...(d.text ? { text: d.text } : {}) });
    }
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return Promise.resolve(hits.slice(0, k));
  }

  count(): Promise<number> {
    return Promise.resolve(this.docs.size);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
