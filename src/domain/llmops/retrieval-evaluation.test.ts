import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluatePredictions } from '../evaluation/evaluate.js';
import { inlineTable } from '../evaluation/predictions-table.js';
import { EvaluationSpecSchema } from '../evaluation/schemas.js';
import type { EvaluationResult } from '../evaluation/types.js';
import { retrievalColumns, RetrievalEvaluationRequestSchema, type RetrievalEvaluationRequest } from './retrieval-evaluation.js';

/** The same path the route takes, without a server: the request's table through the evaluation module. */
async function evaluate(request: RetrievalEvaluationRequest): Promise<EvaluationResult> {
  const input = RetrievalEvaluationRequestSchema.parse(request);
  const columns = retrievalColumns(input.queries, input.retrieved ?? []);
  return evaluatePredictions(inlineTable({ ...columns }), EvaluationSpecSchema.parse({
    task: 'ranking', label: 'relevance', score: 'score', queryId: 'query', k: input.k, bootstrap: { resamples: 0 },
  }));
}

const value = (r: EvaluationResult, name: string) => r.metrics[name]!.value;

describe('retrieval evaluation', () => {
  it('a worked example: graded relevance, a relevant document never retrieved, k beyond the list, a query that found nothing', async () => {
    // q1: relevant d1 (3), d2 (1), d5 (2); retrieved d3 d1 d4 d2 — d5 is missing. q2: relevant x; retrieved nothing.
    const r = await evaluate({
      queries: [{ id: 'q1', relevant: { d1: 3, d2: 1, d5: 2 } }, { id: 'q2', relevant: ['x'] }],
      retrieved: [{ queryId: 'q1', documents: ['d3', { id: 'd1', score: 0.9 }, 'd4', 'd2'] }],
      k: [1, 3, 5],
    });
    // By hand for q1 (q2 scores 0 everywhere; means are over both queries):
    // precision@3 = 1/3, precision@5 = 2/5 (divided by k although only 4 came back); recall@3 = 1/3, recall@5 = 2/3;
    // reciprocal rank = 1/2; average precision = (1/2 + 2/4) / 3.
    expect(value(r, 'precision_at_1')).toBe(0);
    expect(value(r, 'precision_at_3')).toBeCloseTo(1 / 3 / 2, 12);
    expect(value(r, 'precision_at_5')).toBeCloseTo(2 / 5 / 2, 12);
    expect(value(r, 'recall_at_3')).toBeCloseTo(1 / 3 / 2, 12);
    expect(value(r, 'recall_at_5')).toBeCloseTo(2 / 3 / 2, 12);
    expect(value(r, 'hit_rate_at_3')).toBeCloseTo(1 / 2, 12);
    expect(value(r, 'reciprocal_rank')).toBeCloseTo(1 / 2 / 2, 12);
    expect(value(r, 'average_precision')).toBeCloseTo((1 / 2 + 2 / 4) / 3 / 2, 12);
    // nDCG, linear gain, discount 1/log2(rank + 1); the ideal list is 3, 2, 1 (d5 counts there, never in the DCG).
    const idcg = 3 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4);
    expect(value(r, 'ndcg_at_3')).toBeCloseTo((3 / Math.log2(3)) / idcg / 2, 12);
    expect(value(r, 'ndcg_at_5')).toBeCloseTo((3 / Math.log2(3) + 1 / Math.log2(5)) / idcg / 2, 12);
    expect(r.queries).toEqual({ count: 2, withoutRelevant: 0 });
  });

  it('matches scikit-learn\'s ndcg_score and the textbook recall, precision, MRR and MAP on 60 random queries', async () => {
    const f = JSON.parse(readFileSync(new URL('./fixtures/retrieval-fixtures.json', import.meta.url), 'utf8'));
    const r = await evaluate({ queries: f.queries, retrieved: f.retrieved, k: f.ks });
    for (const [name, expected] of Object.entries(f.expected as Record<string, number>)) {
      expect([name, value(r, name)]).toEqual([name, expect.closeTo(expected, 12)]);
    }
    expect(r.queries).toEqual({ count: f.queryCount, withoutRelevant: f.withoutRelevant });
  });

  it('a document retrieved twice (two chunks) counts once, at its first rank', () => {
    const c = retrievalColumns([{ id: 'q', relevant: ['a'] }], [{ queryId: 'q', documents: ['a', 'b', 'a'] }]);
    expect(c).toEqual({ query: ['q', 'q'], document: ['a', 'b'], relevance: [1, 0], score: [2, 1] });
  });

  it('names the field of a bad reference', () => {
    expect(() => retrievalColumns([{ id: 'q', relevant: ['a'] }], [{ queryId: 'nope', documents: [] }])).toThrow("'retrieved.0.queryId': 'nope' is not a query of the evaluation set");
    expect(() => retrievalColumns([{ id: 'q', relevant: ['a'] }, { id: 'q', relevant: [] }], [])).toThrow("'queries.1.id': query 'q' appears twice");
    expect(RetrievalEvaluationRequestSchema.safeParse({ queries: [{ id: 'q', relevant: { a: -1 } }], retrieved: [] }).error?.issues[0]?.path).toEqual(['queries', 0, 'relevant', 'a']);
  });
});
