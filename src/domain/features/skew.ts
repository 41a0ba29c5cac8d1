import { runStatTest } from '../monitoring/stat-tests.js';
import { NumericSample } from '../monitoring/stats/sample.js';

export interface FeatureSkew {
  readonly feature: string;
  readonly rows: number;
  /** Rows where the served value and the offline value differ (beyond the tolerance, or one of them null). */
  readonly mismatches: number;
  readonly mismatchRate: number;
  /** Of the mismatches: served a value where offline has none, or the other way round. */
  readonly nullMismatches: number;
  readonly meanAbsoluteDifference?: number | undefined;
  /** The two-sample Kolmogorov–Smirnov test of monitoring's drift reports, served against offline (numeric features). */
  readonly distribution?: { readonly test: 'ks'; readonly pValue: number; readonly statistic: number } | undefined;
  /** Up to five rows that differ, for a first look. */
  readonly examples: readonly { readonly row: number; readonly served: unknown; readonly offline: unknown }[];
}

export interface SkewReport {
  readonly rows: number;
  readonly tolerance: number;
  readonly features: readonly FeatureSkew[];
}

const asNumber = (v: unknown): number | null => (v === null || v === undefined ? null : typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number.isNaN(Number(v)) ? null : Number(v));

/** Numbers agree within `tolerance` relative to the larger magnitude (at least 1); anything else must be equal. */
export function compareSkew(features: readonly { name: string; numeric: boolean }[], served: readonly Record<string, unknown>[], offline: readonly Record<string, unknown>[], tolerance: number): SkewReport {
  const out: FeatureSkew[] = features.map(({ name, numeric }) => {
    let mismatches = 0;
    let nullMismatches = 0;
    let absSum = 0;
    let both = 0;
    const examples: { row: number; served: unknown; offline: unknown }[] = [];
    const servedValues: number[] = [];
    const offlineValues: number[] = [];
    served.forEach((row, i) => {
      const a = row[name] ?? null;
      const b = offline[i]?.[name] ?? null;
      let differs: boolean;
      if (a === null || b === null) {
        differs = a !== b;
        if (differs) nullMismatches++;
      } else if (numeric) {
        const x = asNumber(a)!;
        const y = asNumber(b)!;
        absSum += Math.abs(x - y);
        both++;
        servedValues.push(x);
        offlineValues.push(y);
        differs = Math.abs(x - y) > tolerance * Math.max(1, Math.abs(x), Math.abs(y));
      } else {
        differs = String(a) !== String(b);
      }
      if (differs) {
        mismatches++;
        if (examples.length < 5) examples.push({ row: i, served: a, offline: b });
      }
    });
    const distribution = numeric && servedValues.length >= 2
      ? (() => {
          const r = runStatTest('ks', { type: 'numeric', reference: NumericSample.of(Float64Array.from(offlineValues)), current: NumericSample.of(Float64Array.from(servedValues)) });
          return { test: 'ks' as const, pValue: r.score, statistic: r.statistic ?? 0 };
        })()
      : undefined;
    return {
      feature: name, rows: served.length, mismatches, mismatchRate: served.length ? mismatches / served.length : 0, nullMismatches,
      ...(numeric && both ? { meanAbsoluteDifference: absSum / both } : {}), ...(distribution ? { distribution } : {}), examples,
    };
  });
  return { rows: served.length, tolerance, features: out };
}
