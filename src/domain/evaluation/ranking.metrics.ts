/**
 * Ranking and retrieval metrics per query, then averaged over queries. A document is relevant when its
 * relevance is > 0; documents are ranked by descending score, equal scores in input order, except for nDCG.
 * - precision@k = relevant in the top k / k, dividing by k even when the query has fewer documents;
 * - recall@k = relevant in the top k / relevant in the query;
 * - hit rate@k = 1 when the top k hold a relevant document;
 * - reciprocal rank = 1 / rank of the first relevant document (0 when none is retrieved);
 * - average precision = Σ over relevant ranks r of precision@r, divided by the number of relevant documents;
 * - nDCG@k as scikit-learn's `ndcg_score`: linear gain (the relevance itself), discount 1/log₂(rank + 1),
 *   tied scores share the average gain of their group (`ignore_ties=False`); a query whose documents are
 *   all irrelevant scores 0. A query with a single document scores 1 when it is relevant, else 0
 *   (scikit-learn refuses single-document queries).
 * A document without a score (NaN: a relevant document the retriever did not return) is never ranked: it counts
 * only where all relevant documents do (recall's and average precision's denominators, the ideal DCG), so a
 * retrieval evaluation gets recall against everything relevant, not only what was retrieved.
 * Queries with no relevant document: recall and average precision are undefined for them. Every mean is
 * reported over all queries (undefined counting as 0, scikit-learn's convention for nDCG) and over the
 * queries with at least one relevant document.
 */

export interface Query {
  /** Row indices of the query's documents, in input order. */
  readonly rows: readonly number[];
}

/** Rows grouped by query id code, queries in order of first appearance. */
export function groupQueries(queryCodes: ArrayLike<number>): number[][] {
  const byCode = new Map<number, number[]>();
  for (let i = 0; i < queryCodes.length; i++) {
    const code = queryCodes[i]!;
    let rows = byCode.get(code);
    if (!rows) {
      rows = [];
      byCode.set(code, rows);
    }
    rows.push(i);
  }
  return [...byCode.values()];
}

/** nDCG@k of one query as scikit-learn computes it, ties averaged; documents without a score are not ranked. */
export function ndcgAtK(relevance: readonly number[], score: readonly number[], k: number): number {
  const n = relevance.length;
  if (n === 1) return relevance[0]! > 0 && !Number.isNaN(score[0]!) ? 1 : 0;
  const order = relevance.map((_, i) => i).filter((i) => !Number.isNaN(score[i]!)).sort((a, b) => score[b]! - score[a]!);
  const ranked = order.length;
  const cut = Math.min(k, n);
  const cumulative = new Float64Array(ranked);
  let acc = 0;
  for (let i = 0; i < ranked; i++) {
    acc += i < cut ? 1 / Math.log2(i + 2) : 0;
    cumulative[i] = acc;
  }
  let dcg = 0;
  let start = 0;
  let previousCumulative = 0;
  while (start < ranked) {
    let end = start;
    let gain = 0;
    while (end < ranked && score[order[end]!] === score[order[start]!]) gain += relevance[order[end++]!]!;
    dcg += (gain / (end - start)) * (cumulative[end - 1]! - previousCumulative);
    previousCumulative = cumulative[end - 1]!;
    start = end;
  }
  const ideal = [...relevance].sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < cut; i++) idcg += ideal[i]! / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

/** Every per-query metric; NaN where the query has no relevant document and the metric needs one. */
export function queryMetrics(relevance: readonly number[], score: readonly number[], ks: readonly number[]): Record<string, number> {
  const order = relevance.map((_, i) => i).filter((i) => !Number.isNaN(score[i]!)).sort((a, b) => score[b]! - score[a]! || a - b);
  const hits = order.map((i) => (relevance[i]! > 0 ? 1 : 0));
  const relevant = relevance.reduce<number>((a, r) => a + (r > 0 ? 1 : 0), 0);
  const out: Record<string, number> = {};
  for (const k of ks) {
    let top = 0;
    for (let i = 0; i < Math.min(k, hits.length); i++) top += hits[i]!;
    out[`precision_at_${k}`] = top / k;
    out[`recall_at_${k}`] = relevant > 0 ? top / relevant : NaN;
    out[`hit_rate_at_${k}`] = top > 0 ? 1 : 0;
    out[`ndcg_at_${k}`] = ndcgAtK(relevance, score, k);
  }
  const first = hits.indexOf(1);
  out.reciprocal_rank = first >= 0 ? 1 / (first + 1) : 0;
  let seen = 0;
  let sumPrecision = 0;
  hits.forEach((h, i) => {
    if (h) {
      seen++;
      sumPrecision += seen / (i + 1);
    }
  });
  out.average_precision = relevant > 0 ? sumPrecision / relevant : NaN;
  return out;
}

export const rankingMetricNames = (ks: readonly number[]): string[] => [
  ...ks.flatMap((k) => [`precision_at_${k}`, `recall_at_${k}`, `hit_rate_at_${k}`, `ndcg_at_${k}`]),
  'reciprocal_rank', 'average_precision',
];

/** The mean of each per-query metric over the queries with weight, NaN counting as 0 (`all`) or left out (`withRelevant`). */
export function queryMeans(perQuery: readonly Record<string, number>[], hasRelevant: ArrayLike<number>, names: readonly string[], w?: ArrayLike<number>) {
  const all: Record<string, number> = {};
  const withRelevant: Record<string, number> = {};
  let total = 0;
  let totalRelevant = 0;
  for (let q = 0; q < perQuery.length; q++) {
    const wq = w ? w[q]! : 1;
    total += wq;
    if (hasRelevant[q]) totalRelevant += wq;
  }
  for (const name of names) {
    let sum = 0;
    let sumRelevant = 0;
    for (let q = 0; q < perQuery.length; q++) {
      const wq = w ? w[q]! : 1;
      if (wq === 0) continue;
      const v = perQuery[q]![name]!;
      if (!Number.isNaN(v)) sum += wq * v;
      if (hasRelevant[q]) sumRelevant += wq * v;
    }
    all[name] = total > 0 ? sum / total : NaN;
    withRelevant[name] = totalRelevant > 0 ? sumRelevant / totalRelevant : NaN;
  }
  return { all, withRelevant };
}
