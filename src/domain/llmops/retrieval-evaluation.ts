/**
 * RAG retrieval evaluation: an evaluation set (questions with their relevant document ids, optionally graded) and
 * what a retriever returned for each question become a ranking evaluation of the evaluation module, so the
 * numbers have its definitions (recall@k, precision@k, hit rate@k, nDCG@k as scikit-learn's `ndcg_score`, MRR,
 * MAP, bootstrap intervals over queries), are stored like every evaluation and gate promotions the same way.
 *
 * Each query becomes rows of (query, document, relevance, score): its retrieved documents in the retriever's
 * order (score = length − rank, so the order given is the ranking and no two documents tie), then the relevant
 * documents it did not retrieve, with no score: they count in recall, average precision and the ideal DCG, and are
 * never ranked.
 */
import { z } from 'zod';
import type { Actor } from '../../core/actor.js';
import { invalid } from '../../core/errors.js';
import type { EvaluationService } from '../evaluation/evaluation.service.js';
import { BootstrapSchema } from '../evaluation/schemas.js';
import type { Evaluation } from '../evaluation/types.js';
import { retrievedFromSpans } from './retrieval-traces.js';
import type { TraceService } from './traces.service.js';

const DocId = z.string().min(1).max(1000);

/** Relevant documents: a list of ids (relevance 1 each) or id → graded relevance (0 = irrelevant). */
export const RelevantSchema = z.union([
  z.array(DocId).max(10_000),
  z.record(DocId, z.number().finite().min(0, 'relevance is 0 (irrelevant) or more')),
]);

export const RetrievalQuerySchema = z.object({
  id: z.string().min(1).max(1000),
  /** The question, for the retriever; the evaluation reads only the ids. */
  text: z.string().max(100_000).optional(),
  relevant: RelevantSchema,
}).strict();

export const RetrievedDocSchema = z.union([DocId, z.object({ id: DocId, score: z.number().finite().optional() }).strict()]);

export const RetrievedSchema = z.object({
  queryId: z.string().min(1).max(1000),
  /** Best first, as the retriever ranked them. */
  documents: z.array(RetrievedDocSchema).max(10_000),
}).strict();

export const RetrievalEvaluationRequestSchema = z.object({
  /** The evaluation set's name (what a promotion policy's `dataset` names), e.g. `support-questions`. */
  dataset: z.string().min(1).max(256).default('retrieval-set'),
  name: z.string().min(1).max(256).optional(),
  runId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a run id').optional(),
  /** The registered model or prompt version whose retrieval this is: the evaluation becomes its promotion evidence. */
  model: z.object({ name: z.string().min(1).max(256), version: z.number().int().positive() }).strict().optional(),
  queries: z.array(RetrievalQuerySchema).min(1).max(100_000),
  /** What the retriever returned per query; a query left out retrieved nothing. */
  retrieved: z.array(RetrievedSchema).max(100_000).optional(),
  /** Instead of `retrieved`: take each question's latest retrieval span from the project's logged traces (see retrieval-traces.ts). */
  fromTraces: z.object({
    project: z.string().min(1).max(256).optional(),
    /** Only retrieval spans of this name. */
    spanName: z.string().min(1).max(1000).optional(),
    /** Only spans that started in [since, until] (epoch ms). */
    since: z.number().int().min(0).optional(),
    until: z.number().int().min(0).optional(),
  }).strict().optional(),
  k: z.array(z.number().int().min(1).max(10_000)).min(1).max(10).default([1, 3, 5, 10]),
  bootstrap: BootstrapSchema.default({ resamples: 1000, seed: 0, confidence: 0.95 }),
  metricPrefix: z.string().max(100).regex(/^[\w.\- /:]*$/, 'may hold letters, digits, _ - . / : and spaces').default(''),
  logToRun: z.boolean().default(true),
}).strict();

export type RetrievalEvaluationRequest = z.input<typeof RetrievalEvaluationRequestSchema>;
export type RetrievalQuery = z.output<typeof RetrievalQuerySchema>;
export type RetrievedList = z.output<typeof RetrievedSchema>;

export interface RetrievalColumns {
  query: string[];
  document: string[];
  relevance: number[];
  score: (number | null)[];
}

const gradesOf = (relevant: RetrievalQuery['relevant']): Map<string, number> =>
  new Map(Array.isArray(relevant) ? relevant.map((id) => [id, 1]) : Object.entries(relevant));

/** The ranking table of an evaluation set and its retrieved lists; bad references name the field. */
export function retrievalColumns(queries: readonly RetrievalQuery[], retrieved: readonly RetrievedList[]): RetrievalColumns {
  const index = new Map<string, number>();
  queries.forEach((q, i) => {
    if (index.has(q.id)) throw invalid(`Invalid value for parameter 'queries.${i}.id': query '${q.id}' appears twice`);
    index.set(q.id, i);
  });
  const byQuery = new Map<string, string[]>();
  retrieved.forEach((r, i) => {
    if (!index.has(r.queryId)) throw invalid(`Invalid value for parameter 'retrieved.${i}.queryId': '${r.queryId}' is not a query of the evaluation set`);
    if (byQuery.has(r.queryId)) throw invalid(`Invalid value for parameter 'retrieved.${i}.queryId': query '${r.queryId}' has two retrieved lists`);
    // A document retrieved twice (two chunks of it) counts once, at its best rank.
    byQuery.set(r.queryId, [...new Set(r.documents.map((d) => (typeof d === 'string' ? d : d.id)))]);
  });
  const out: RetrievalColumns = { query: [], document: [], relevance: [], score: [] };
  const push = (q: string, doc: string, relevance: number, score: number | null) => {
    out.query.push(q);
    out.document.push(doc);
    out.relevance.push(relevance);
    out.score.push(score);
  };
  for (const q of queries) {
    const grades = gradesOf(q.relevant);
    const docs = byQuery.get(q.id) ?? [];
    docs.forEach((doc, rank) => push(q.id, doc, grades.get(doc) ?? 0, docs.length - rank));
    const returned = new Set(docs);
    for (const [doc, grade] of grades) if (grade > 0 && !returned.has(doc)) push(q.id, doc, grade, null);
    // A query that retrieved nothing and has nothing relevant still counts (as 0 where defined).
    if (docs.length === 0 && ![...grades.values()].some((g) => g > 0)) push(q.id, '', 0, null);
  }
  return out;
}

/** Evaluates the retrieved lists against the set and stores the result as a ranking evaluation. */
export async function evaluateRetrieval(
  evaluations: EvaluationService, actor: Actor, body: unknown, traces?: Pick<TraceService, 'retrievalSpans'>,
): Promise<Evaluation> {
  const r = RetrievalEvaluationRequestSchema.safeParse(body ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalid(`Invalid value for parameter '${issue.path.map(String).join('.') || 'body'}': ${issue.message}`);
  }
  const input = r.data;
  if ((input.retrieved === undefined) === (input.fromTraces === undefined)) throw invalid("Invalid value for parameter 'retrieved': give the retrieved lists or 'fromTraces', one of the two");
  let retrieved = input.retrieved ?? [];
  if (input.fromTraces) {
    if (!traces) throw invalid("Invalid value for parameter 'fromTraces': traces are not available here");
    const f = input.fromTraces;
    const spans = await traces.retrievalSpans(actor, { project: f.project, name: f.spanName, since: f.since, until: f.until });
    const found = retrievedFromSpans(input.queries, spans);
    if (found.retrieved.length === 0) {
      throw invalid(`Invalid value for parameter 'fromTraces': none of the ${spans.length} retrieval span(s) in project '${f.project ?? 'default'}' matches a question of the set (by its text or the attribute openexpert.query.id)`);
    }
    retrieved = found.retrieved;
  }
  const columns = retrievalColumns(input.queries, retrieved);
  return evaluations.evaluate(actor, {
    task: 'ranking', label: 'relevance', score: 'score', queryId: 'query', k: input.k, bootstrap: input.bootstrap,
    data: { columns: { ...columns }, name: input.dataset },
    name: input.name ?? `retrieval on ${input.dataset}`,
    ...(input.runId ? { runId: input.runId } : {}),
    ...(input.model ? { model: input.model } : {}),
    metricPrefix: input.metricPrefix,
    logToRun: input.logToRun,
  });
}
