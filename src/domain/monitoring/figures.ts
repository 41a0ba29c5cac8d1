/**
 * The figures of a window, flattened to names alert rules and Prometheus can refer to, and the
 * performance of a window once ground truth has been joined to its predictions.
 */
import { invalid } from '../../core/errors.js';
import type { DriftReport } from './analysis.js';
import type { Performance } from './types.js';

const WINDOW_FIGURES = [
  'row_count', 'reference_rows', 'dataset_drift', 'dataset_drift_share', 'drifted_columns',
  'prediction_drift_score', 'prediction_drifted', 'accuracy', 'mae', 'rmse', 'labelled',
] as const;
const COLUMN_FIGURES = ['drift_score', 'drifted', 'missing_share', 'out_of_range_share', 'new_category_rows', 'type_mismatches'] as const;

/** Rejects a figure name no window can ever have, so a typo in a rule is caught when it is written. */
export function checkFigureName(name: string): void {
  if ((WINDOW_FIGURES as readonly string[]).includes(name)) return;
  const [kind, column] = [name.slice(0, name.indexOf(':')), name.slice(name.indexOf(':') + 1)];
  if (name.includes(':') && (COLUMN_FIGURES as readonly string[]).includes(kind) && column.length > 0) return;
  throw invalid(
    `Invalid value for parameter 'figure': '${name}' is not a monitor figure; use one of ${WINDOW_FIGURES.join(', ')} or <${COLUMN_FIGURES.join('|')}>:<column>`,
  );
}

export function windowFigures(report: DriftReport, performance: Performance | undefined): Record<string, number> {
  const f: Record<string, number> = {
    row_count: report.currentRows,
    reference_rows: report.referenceRows,
    drifted_columns: report.datasetDrift.driftedColumns,
  };
  if (report.datasetDrift.share !== null) f.dataset_drift_share = report.datasetDrift.share;
  if (report.datasetDrift.drifted !== null) f.dataset_drift = report.datasetDrift.drifted ? 1 : 0;
  for (const c of report.columns) {
    if (c.drift.score !== null) f[`drift_score:${c.name}`] = c.drift.score;
    if (c.drift.drifted !== null) f[`drifted:${c.name}`] = c.drift.drifted ? 1 : 0;
    if (c.quality.current.rows > 0) f[`missing_share:${c.name}`] = c.quality.current.missingShare;
    f[`type_mismatches:${c.name}`] = c.quality.current.typeMismatches;
    if (c.quality.outOfRange) f[`out_of_range_share:${c.name}`] = c.quality.outOfRange.share;
    if (c.quality.newCategories) f[`new_category_rows:${c.name}`] = c.quality.newCategories.rows;
  }
  const p = report.predictionDrift;
  if (p?.drift.score !== null && p?.drift.score !== undefined) f.prediction_drift_score = p.drift.score;
  if (p?.drift.drifted !== null && p?.drift.drifted !== undefined) f.prediction_drifted = p.drift.drifted ? 1 : 0;
  if (performance) {
    f.labelled = performance.labelled;
    for (const key of ['accuracy', 'mae', 'rmse'] as const) {
      const v = performance[key];
      if (v !== undefined) f[key] = v;
    }
  }
  return f;
}

/**
 * Accuracy for classification (a prediction counts when it equals the label as text), mean absolute and
 * root mean squared error for regression, over the predictions whose label has arrived.
 */
export function performanceOf(task: 'classification' | 'regression', pairs: readonly { prediction: unknown; label: unknown }[]): Performance {
  if (task === 'classification') {
    const usable = pairs.filter((p) => p.prediction !== null && p.prediction !== undefined && p.label !== null && p.label !== undefined);
    if (usable.length === 0) return { labelled: 0 };
    const hits = usable.filter((p) => String(p.prediction) === String(p.label)).length;
    return { labelled: usable.length, accuracy: hits / usable.length };
  }
  const usable = pairs.filter((p) => typeof p.prediction === 'number' && typeof p.label === 'number' && Number.isFinite(p.prediction) && Number.isFinite(p.label));
  if (usable.length === 0) return { labelled: 0 };
  let abs = 0;
  let sq = 0;
  for (const p of usable) {
    const e = (p.prediction as number) - (p.label as number);
    abs += Math.abs(e);
    sq += e * e;
  }
  return { labelled: usable.length, mae: abs / usable.length, rmse: Math.sqrt(sq / usable.length) };
}
