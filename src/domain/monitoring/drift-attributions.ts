import { globalRanking, type RankingMethod } from '../explain/ranking.js';
import type { Explanation } from '../explain/types.js';
import type { DriftReport } from './analysis.js';
import type { Monitor } from './types.js';

/** A drifted feature with its place in the model's global importance, when the model version has an explanation. */
export interface DriftedFeature {
  readonly feature: string;
  readonly test: string;
  readonly scoreKind: 'p_value' | 'distance';
  readonly score: number | null;
  readonly threshold: number;
  readonly drifted: boolean | null;
  /** 1 for the model's most important feature; absent when the explanation does not cover the feature. */
  readonly rank?: number;
  /** The explanation's global value of the feature (mean |φ|, or the permutation importance), as stored. */
  readonly attribution?: number;
}

/**
 * What a drift alert says about the model: which features drifted and how much the model relies on them, from the
 * newest explanation stored with the monitored model version, and where to see it.
 */
export interface DriftAttributions {
  readonly model: { readonly name: string; readonly version: string | null } | null;
  readonly explanation: { readonly id: string; readonly method: RankingMethod; readonly features: number; readonly createdAt: number } | null;
  /** The model version's page in the web UI, at its explanation. */
  readonly link: string | null;
  /** Strongest first by rank, then the features the explanation does not rank, by name. */
  readonly features: readonly DriftedFeature[];
  /** Why there is no ranking, and the command that gives one. */
  readonly note?: string;
  readonly command?: string;
}

const PER_COLUMN = /^(drifted|drift_score):(.+)$/;

/** Figures about feature drift: the dataset's drifted share or verdict, the drifted count, or one column's. */
export const isDriftFigure = (figure: string): boolean =>
  figure === 'dataset_drift_share' || figure === 'dataset_drift' || figure === 'drifted_columns' || PER_COLUMN.test(figure);

export const explanationLink = (model: string, version: string) => `/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}#explanation`;

/**
 * The features a drift rule is about in a window's report (its own column for a per-column rule, else every drifted
 * feature) with their global attribution rank and value from the explanation, or a note saying how to get one.
 */
export function driftAttributions(monitor: Monitor, figure: string, report: DriftReport, explanation: Explanation | undefined): DriftAttributions {
  const column = PER_COLUMN.exec(figure)?.[2];
  const columns = report.columns.filter((c) => c.role === 'feature' && (column !== undefined ? c.name === column : c.drift.drifted === true));
  const ranking = explanation ? globalRanking(explanation) : undefined;
  const ranked = new Map(ranking?.features.map((f) => [f.feature, f]));
  const features: DriftedFeature[] = columns.map((c) => {
    const r = ranked.get(c.name);
    return {
      feature: c.name, test: c.drift.testName, scoreKind: c.drift.scoreKind, score: c.drift.score, threshold: c.drift.threshold, drifted: c.drift.drifted,
      ...(r ? { rank: r.rank, attribution: r.value } : {}),
    };
  }).sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || a.feature.localeCompare(b.feature));
  const { modelName: name, modelVersion: version } = monitor;
  if (name === null) {
    return { model: null, explanation: null, link: null, features, note: `Monitor '${monitor.name}' names no model, so no feature attributions can be shown (create it with a model and version).` };
  }
  const model = { name, version };
  if (version === null) {
    return { model, explanation: null, link: null, features, note: `Monitor '${monitor.name}' watches every version of model '${name}': name one to see its feature attributions.` };
  }
  const link = explanationLink(name, version);
  if (!explanation || !ranking) {
    return {
      model, explanation: null, link, features, note: `Model '${name}' version ${version} has no stored explanation.`,
      command: `openexpert explain ${name}@${version} --data sample.csv`,
    };
  }
  return { model, explanation: { id: explanation.id, method: ranking.method, features: ranking.features.length, createdAt: explanation.createdAt }, link, features };
}
