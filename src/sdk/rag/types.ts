/**
 * Retrieval for RAG behind one interface: a vector store holds documents' vectors, an embedder turns text into
 * vectors, a retriever answers a question with the best documents. Every store scores by cosine similarity
 * (1 = same direction), best first, so stores are interchangeable and evaluated the same way.
 */
export interface VectorDocument {
  readonly id: string;
  readonly vector: readonly number[];
  /** Kept beside the vector, answered with each hit. */
  readonly text?: string;
}

export interface VectorHit {
  readonly id: string;
  /** Cosine similarity to the query vector. */
  readonly score: number;
  readonly text?: string;
}

export interface VectorStore {
  /** `lancedb`, `pgvector`, … */
  readonly kind: string;
  /** Adds documents; a document whose id is already stored is replaced. */
  upsert(docs: readonly VectorDocument[]): Promise<void>;
  /** The `k` documents nearest the vector by cosine similarity, best first (exact search unless an index was built). */
  search(vector: readonly number[], k: number): Promise<VectorHit[]>;
  count(): Promise<number>;
  close(): Promise<void>;
}

export interface Embedder {
  readonly name: string;
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<number[][]>;
}

/** What a RAG pipeline calls: a question in, ranked documents out. Any function of this shape can be evaluated. */
export interface Retriever {
  retrieve(query: string, k: number): Promise<VectorHit[]>;
}

/** A store, an embedder or a retriever was used wrongly (a vector of the wrong length, a missing extension…). */
export class VectorStoreError extends Error {
  override readonly name = 'VectorStoreError';
}

export function checkVector(vector: readonly number[], dimensions: number, what: string): void {
  if (vector.length !== dimensions) throw new VectorStoreError(`${what} has ${vector.length} dimensions; the store holds ${dimensions}`);
  for (const x of vector) if (!Number.isFinite(x)) throw new VectorStoreError(`${what} holds a non-finite value`);
}

/** Embeds the question and searches the store: the usual dense retriever. */
export class VectorRetriever implements Retriever {
  constructor(private readonly store: VectorStore, private readonly embedder: Embedder) {}

  async retrieve(query: string, k: number): Promise<VectorHit[]> {
    const [vector] = await this.embedder.embed([query]);
    return this.store.search(vector!, k);
  }

  /** Embeds the documents' texts (in batches) and stores them. */
  async index(docs: readonly { id: string; text: string }[], batchSize = 256): Promise<number> {
    for (let i = 0; i < docs.length; i += batchSize) {
      const batch = docs.slice(i, i + batchSize);
      const vectors = await this.embedder.embed(batch.map((d) => d.text));
      await this.store.upsert(batch.map((d, j) => ({ id: d.id, text: d.text, vector: vectors[j]! })));
    }
    return docs.length;
  }
}
