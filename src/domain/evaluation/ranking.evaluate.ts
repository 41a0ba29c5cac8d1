/** The ranking metric set over queries, with intervals from resampling whole queries. */
import { BOOTSTRAP_METHOD, bootstrapSamples, intervals, StatLayout, type BootstrapOptions } from './bootstrap.js';
import { groupQueries, queryMeans, queryMetrics, rankingMetricNames } from './ranking.metrics.js';
import type { Estimate, EvaluationResult, Interval } from './types.js';

export interface RankingInput {
  readonly queryCodes: Int32Array;
  readonly relevance: Float64Array;
  readonly score: Float64Array;
  readonly ks: readonly number[];
  readonly bootstrap: BootstrapOptions;
  readonly notes: readonly string[];
}

const WITH_RELEVANT = '_with_relevant';

/** Per-query values and whether each query has a relevant document: what both point and resamples average. */
export function perQuery(input: Pick<RankingInput, 'queryCodes' | 'relevance' | 'score' | 'ks'>) {
  const queries = groupQueries(input.queryCodes);
  const values = queries.map((rows) => queryMetrics(rows.map((r) => input.relevance[r]!), rows.map((r) => input.score[r]!), input.ks));
  const hasRelevant = Uint8Array.from(queries, (rows) => (rows.some((r) => input.relevance[r]! > 0) ? 1 : 0));
  return { queries, values, hasRelevant };
}

export function evaluateRanking(input: RankingInput): EvaluationResult {
  const { values, hasRelevant } = perQuery(input);
  const names = rankingMetricNames(input.ks);
  const point = queryMeans(values, hasRelevant, names);
  const layout = new StatLayout();
  const slots = names.flatMap((m) => [layout.add(m), layout.add(m + WITH_RELEVANT)]);
  const samples = input.bootstrap.resamples > 0 && values.length > 0
    ? bootstrapSamples(values.length, layout.width, input.bootstrap, (w, out) => {
      const r = queryMeans(values, hasRelevant, names, w);
      names.forEach((m, j) => {
        out[slots[2 * j]!] = r.all[m]!;
        out[slots[2 * j + 1]!] = r.withRelevant[m]!;
      });
    })
    : undefined;
  const ciOf = intervals(layout, samples, input.bootstrap.confidence);
  const withoutRelevant = hasRelevant.length - hasRelevant.reduce((a, b) => a + b, 0);
  const estimate = (value: number, reason: string, ci?: Interval): Estimate => (Number.isNaN(value) ? { value: null, reason } : ci ? { value, ci } : { value });
  const metrics: Record<string, Estimate> = { query_count: { value: values.length }, example_count: { value: input.queryCodes.length } };
  for (const m of names) {
    metrics[m] = estimate(point.all[m]!, 'there are no queries', ciOf(m));
    metrics[m + WITH_RELEVANT] = estimate(point.withRelevant[m]!, 'no query has a relevant document', ciOf(m + WITH_RELEVANT));
  }
  const notes = [...input.notes];
  if (withoutRelevant > 0) {
    notes.push(`${withoutRelevant} of ${values.length} queries have no relevant document: they count as 0 in each metric (scikit-learn's convention for nDCG) and are left out of the '${WITH_RELEVANT}' means.`);
  }
  return {
    task: 'ranking',
    rows: input.queryCodes.length,
    metrics,
    queries: { count: values.length, withoutRelevant },
    slices: [],
    ...(samples ? { bootstrap: { ...input.bootstrap, method: BOOTSTRAP_METHOD } } : {}),
    notes,
  };
}
