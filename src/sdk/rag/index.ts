export { HashingEmbedder, HttpEmbedder } from './embedders.js';
export { retrieveAll, RetrievalEvaluations, type RetrievalEvaluationInput, type RetrieveFn } from './evaluations.js';
export { MemoryVectorStore } from './memory.js';
export { LanceDbStore, type LanceDbOptions } from './lancedb.js';
export { PgVectorStore, type PgVectorOptions } from './pgvector.js';
export { VectorRetriever, VectorStoreError, type Embedder, type Retriever, type VectorDocument, type VectorHit, type VectorStore } from './types.js';
export type { RetrievalEvaluationRequest, RetrievalQuery, RetrievedList } from '../../domain/llmops/retrieval-evaluation.js';
