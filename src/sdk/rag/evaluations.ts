import type { RetrievalEvaluationRequest, RetrievalQuery, RetrievedList } from '../../domain/llmops/retrieval-evaluation.js';
import type { Evaluation } from '../../domain/evaluation/types.js';
import type { HttpClient } from '../http.js';
import type { Retriever, VectorHit } from './types.js';

/** A retriever object, or a function answering a question of the set with ranked documents (ids or hits). */
export type RetrieveFn = (query: RetrievalQuery) => Promise<readonly (string | { id: string; score?: number })[]>;

export type RetrievalEvaluationInput = Omit<RetrievalEvaluationRequest, 'retrieved' | 'fromTraces'> & (
  | { retrieved: NonNullable<RetrievalEvaluationRequest['retrieved']> }
  | { retriever: Retriever | RetrieveFn; concurrency?: number }
  /** The server reads each question's latest retrieval span from the project's logged traces. */
  | { fromTraces: NonNullable<RetrievalEvaluationRequest['fromTraces']> }
);

/** Runs the retriever over every question of the set (`depth` documents each, several questions at a time). */
export async function retrieveAll(queries: readonly RetrievalQuery[], retriever: Retriever | RetrieveFn, depth: number, concurrency = 4): Promise<RetrievedList[]> {
  const call: RetrieveFn = typeof retriever === 'function'
    ? retriever
    : async (q) => (await retriever.retrieve(q.text ?? q.id, depth)).map((h: VectorHit) => ({ id: h.id, score: h.score }));
  const out: RetrievedList[] = new Array(queries.length);
  let next = 0;
  const worker = async () => {
    while (next < queries.length) {
      const i = next++;
      const q = queries[i]!;
      out[i] = { queryId: q.id, documents: (await call(q)).slice(0, depth).map((d) => (typeof d === 'string' ? d : { id: d.id, ...(d.score !== undefined ? { score: d.score } : {}) })) };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queries.length)) }, worker));
  return out;
}

/**
 * Retrieval evaluations: recall@k, precision@k, hit rate@k, nDCG@k, MRR and MAP of a retriever on an evaluation
 * set, stored on the server as a ranking evaluation (promotion evidence when `model` names a version):
 *
 * ```ts
 * const e = await oe.retrieval.evaluate({ dataset: 'faq', queries, retriever: new VectorRetriever(store, embedder), k: [1, 5] });
 * e.result.metrics.recall_at_5.value;
 * ```
 */
export class RetrievalEvaluations {
  constructor(private readonly http: HttpClient) {}

  async evaluate(input: RetrievalEvaluationInput): Promise<Evaluation> {
    const { retriever, concurrency, retrieved, ...rest } = input as RetrievalEvaluationInput & { retriever?: Retriever | RetrieveFn; concurrency?: number; retrieved?: RetrievedList[] };
    const k = rest.k ?? [1, 3, 5, 10];
    if ('fromTraces' in rest && rest.fromTraces !== undefined) return this.http.request('POST', '/api/v1/evaluations/retrieval', { body: { ...rest, k } });
    const lists = retrieved ?? (retriever ? await retrieveAll(rest.queries as RetrievalQuery[], retriever, Math.max(...k), concurrency) : []);
    return this.http.request('POST', '/api/v1/evaluations/retrieval', { body: { ...rest, k, retrieved: lists } });
  }
}
