/**
 * The drift report: per-column drift with Evidently's test choice, dataset drift by the share of drifted
 * columns, and data quality, for a reference and a current table. Columns are read and analyzed one at a
 * time, so memory holds one column of each side. Anything that cannot be tested is a finding with a
 * reason, never an exception and never a NaN verdict.
 */
import { sturgesEdges } from './stats/binning.js';
import { NumericSample } from './stats/sample.js';
import { STAT_TEST_INFO, defaultStatTest, runStatTest, type Samples, type StatTestName } from './stat-tests.js';
import type { CategoricalColumn, Column, FeatureType, NumericColumn, TableSource } from './table.js';

export interface ColumnSpec {
  readonly name: string;
  readonly type: FeatureType;
}

export interface DriftOptions {
  /** Features to compare; by default every reference column other than the roles below, typed from the reference. */
  readonly columns?: readonly ColumnSpec[];
  readonly predictionColumn?: string;
  /** Columns that are never features: ids, timestamps, labels. */
  readonly excludeColumns?: readonly string[];
  /** One test for every column instead of Evidently's choice. */
  readonly stattest?: StatTestName;
  readonly threshold?: number;
  readonly perColumn?: Readonly<Record<string, { readonly stattest?: StatTestName; readonly threshold?: number }>>;
  /** Dataset drift when the share of drifted columns reaches this (inclusive); Evidently's default 0.5. */
  readonly driftShare?: number;
  /** Called before each column is read, for progress displays. */
  readonly onColumn?: (index: number, total: number, column: string) => void;
  /** The reference's columns as prepared for an earlier window (sorted, summarised), reused instead of read again. */
  readonly referenceCache?: PreparedColumns;
}

/** A column as the tests read it: numeric values finite and sorted once, categories counted once. */
export type PreparedColumn = PreparedNumeric | CategoricalColumn;

export interface PreparedNumeric {
  readonly type: 'numeric';
  readonly rows: number;
  /** The finite values; sorted once (the summary needs the distinct count) and kept with a cached reference. */
  readonly sample: NumericSample;
  readonly missing: number;
  readonly nonFinite: number;
  readonly typeMismatches: number;
}

export interface PreparedColumns {
  get(name: string, type: FeatureType): PreparedColumn | undefined;
  set(name: string, type: FeatureType, column: PreparedColumn): void;
}

export type FindingCode =
  | 'empty_window' | 'empty_reference' | 'missing_column' | 'extra_column' | 'all_missing' | 'constant_column'
  | 'type_mismatch' | 'new_categories' | 'out_of_range' | 'non_finite' | 'test_not_applicable' | 'type_differs';

export interface Finding {
  readonly severity: 'info' | 'warning' | 'error';
  readonly code: FindingCode;
  readonly column?: string;
  readonly message: string;
}

export interface ColumnDrift {
  readonly test: StatTestName;
  readonly testName: string;
  readonly scoreKind: 'p_value' | 'distance';
  /** The p-value or the distance the verdict is made on. */
  readonly score: number | null;
  readonly statistic?: number;
  readonly threshold: number;
  readonly drifted: boolean | null;
  readonly chosenBy: 'default' | 'configured';
  readonly method?: string;
  readonly binning?: string;
  readonly note?: string;
  /** Why no verdict was given. */
  readonly reason?: string;
}

export interface SideSummary {
  readonly rows: number;
  readonly missing: number;
  readonly missingShare: number;
  readonly typeMismatches: number;
  readonly nonFinite?: number;
  readonly min?: number;
  readonly max?: number;
  readonly mean?: number;
  readonly std?: number;
  readonly distinct?: number;
}

export interface ColumnQuality {
  readonly reference: SideSummary;
  readonly current: SideSummary;
  readonly newCategories?: { readonly rows: number; readonly values: readonly string[] };
  readonly outOfRange?: { readonly rows: number; readonly share: number };
}

export type ColumnHistogram =
  | { readonly kind: 'numeric'; readonly edges: readonly number[]; readonly reference: readonly number[]; readonly current: readonly number[] }
  | { readonly kind: 'categorical'; readonly labels: readonly string[]; readonly reference: readonly number[]; readonly current: readonly number[] };

export interface ColumnReport {
  readonly name: string;
  readonly type: FeatureType;
  readonly role: 'feature' | 'prediction';
  readonly drift: ColumnDrift;
  readonly quality: ColumnQuality;
  /** Shares per bin of each side, for the report's charts. */
  readonly histogram?: ColumnHistogram;
}

export interface DriftReport {
  readonly referenceRows: number;
  readonly currentRows: number;
  readonly datasetDrift: {
    readonly drifted: boolean | null;
    readonly driftedColumns: number;
    readonly testedColumns: number;
    readonly share: number | null;
    readonly threshold: number;
  };
  readonly columns: readonly ColumnReport[];
  readonly predictionDrift?: ColumnReport;
  readonly findings: readonly Finding[];
}

const MAX_LABELS = 20;
/** Reading the next column pair ahead while one is analyzed, up to this size of a pair (4M rows of doubles). */
const READ_AHEAD_BYTES = 32 * 2 ** 20;

/** Finite values set apart, with missing (NaN) and infinite values counted as data quality needs them. */
export function prepareNumeric(column: NumericColumn): PreparedNumeric {
  const { sample, missing, nonFinite } = NumericSample.fromValues(column.values);
  return { type: 'numeric', rows: column.values.length, sample, missing, nonFinite, typeMismatches: column.typeMismatches };
}

/** Distinct values over both sorted samples, counted up to `cap`: the test choice only asks whether there are more than five. */
function countDistinctUnion(a: Float64Array, b: Float64Array, cap: number): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while ((i < a.length || j < b.length) && d < cap) {
    const x = Math.min(i < a.length ? a[i]! : Infinity, j < b.length ? b[j]! : Infinity);
    d++;
    while (i < a.length && a[i] === x) i++;
    while (j < b.length && b[j] === x) j++;
  }
  return d;
}

const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

function numericSummary(p: PreparedNumeric): SideSummary {
  const s = p.sample;
  return {
    rows: p.rows, missing: p.missing, missingShare: share(p.missing, p.rows), typeMismatches: p.typeMismatches, nonFinite: p.nonFinite,
    ...(s.length > 0 ? { min: s.min, max: s.max, mean: s.moments().mean, std: s.moments().std } : {}),
    distinct: s.distinct(),
  };
}

function topLabels(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): { labels: string[]; reference: number[]; current: number[] } {
  const nr = [...reference.values()].reduce((a, b) => a + b, 0);
  const nc = [...current.values()].reduce((a, b) => a + b, 0);
  const all = [...new Set([...reference.keys(), ...current.keys()])];
  all.sort((x, y) => share(reference.get(y) ?? 0, nr) + share(current.get(y) ?? 0, nc) - share(reference.get(x) ?? 0, nr) - share(current.get(x) ?? 0, nc));
  const shown = all.slice(0, MAX_LABELS);
  const labels = [...shown];
  const ref = shown.map((l) => share(reference.get(l) ?? 0, nr));
  const cur = shown.map((l) => share(current.get(l) ?? 0, nc));
  if (all.length > MAX_LABELS) {
    labels.push(`(${all.length - MAX_LABELS} others)`);
    ref.push(1 - ref.reduce((a, b) => a + b, 0));
    cur.push(1 - cur.reduce((a, b) => a + b, 0));
  }
  return { labels, reference: ref, current: cur };
}

interface ColumnPlan {
  readonly spec: ColumnSpec;
  readonly role: 'feature' | 'prediction';
  readonly test?: StatTestName;
  readonly threshold?: number;
}

function noVerdict(plan: ColumnPlan, reason: string): ColumnDrift {
  const test = plan.test ?? (plan.spec.type === 'numeric' ? 'ks' : 'chisquare');
  return {
    test, testName: STAT_TEST_INFO[test].display, scoreKind: STAT_TEST_INFO[test].scoreKind, score: null,
    threshold: plan.threshold ?? STAT_TEST_INFO[test].defaultThreshold, drifted: null, chosenBy: plan.test ? 'configured' : 'default', reason,
  };
}

function analyzeColumn(plan: ColumnPlan, ref: PreparedColumn, cur: PreparedColumn, findings: Finding[]): ColumnReport {
  const name = plan.spec.name;
  let samples: Samples;
  let quality: ColumnQuality;
  let hist: ColumnHistogram | undefined;
  if (ref.type === 'numeric' && cur.type === 'numeric') {
    const r = ref;
    const c = cur;
    const rs = r.sample.sorted();
    const cs = c.sample.sorted();
    let outOfRange: ColumnQuality['outOfRange'];
    if (rs.length > 0) {
      const lo = rs[0]!;
      const hi = rs[rs.length - 1]!;
      let below = 0;
      while (below < cs.length && cs[below]! < lo) below++;
      let above = 0;
      while (above < cs.length - below && cs[cs.length - 1 - above]! > hi) above++;
      outOfRange = { rows: below + above, share: share(below + above, c.rows) };
    }
    quality = { reference: numericSummary(r), current: numericSummary(c), ...(outOfRange ? { outOfRange } : {}) };
    if (c.nonFinite > 0 || r.nonFinite > 0) {
      findings.push({ severity: 'warning', code: 'non_finite', column: name, message: `${c.nonFinite} infinite values in current, ${r.nonFinite} in reference; left out of the tests as Evidently does` });
    }
    if (outOfRange && outOfRange.rows > 0) {
      findings.push({ severity: 'warning', code: 'out_of_range', column: name, message: `${outOfRange.rows} current values (${(outOfRange.share * 100).toFixed(2)}%) lie outside the reference range [${rs[0]}, ${rs[rs.length - 1]}]` });
    }
    const referenceDistinct = quality.reference.distinct ?? 0;
    samples = { type: 'numeric', reference: r.sample, current: c.sample };
    if (rs.length > 0 && cs.length > 0) {
      if (referenceDistinct > MAX_LABELS) {
        const edges = sturgesEdges(Math.min(rs[0]!, cs[0]!), Math.max(rs[rs.length - 1]!, cs[cs.length - 1]!), rs.length + cs.length);
        hist = {
          kind: 'numeric', edges,
          reference: [...r.sample.histogram(edges)].map((v) => v / rs.length),
          current: [...c.sample.histogram(edges)].map((v) => v / cs.length),
        };
      } else {
        hist = { kind: 'categorical', ...topLabels(r.sample.valueCounts(), c.sample.valueCounts()) };
      }
    }
  } else if (ref.type === 'categorical' && cur.type === 'categorical') {
    const r = ref;
    const c = cur;
    const rowsOfNew = [...c.counts].filter(([k]) => !r.counts.has(k));
    const newRows = rowsOfNew.reduce((a, [, n]) => a + n, 0);
    quality = {
      reference: { rows: r.rows, missing: r.missing, missingShare: share(r.missing, r.rows), typeMismatches: r.typeMismatches, distinct: r.counts.size },
      current: { rows: c.rows, missing: c.missing, missingShare: share(c.missing, c.rows), typeMismatches: c.typeMismatches, distinct: c.counts.size },
      newCategories: { rows: newRows, values: rowsOfNew.sort((x, y) => y[1] - x[1]).slice(0, 10).map(([k]) => k) },
    };
    if (newRows > 0) {
      findings.push({ severity: 'warning', code: 'new_categories', column: name, message: `${rowsOfNew.length} categories absent from the reference (${quality.newCategories!.values.join(', ')}) in ${newRows} current rows` });
    }
    samples = { type: 'categorical', reference: r.counts, current: c.counts };
    if (r.counts.size > 0 && c.counts.size > 0) hist = { kind: 'categorical', ...topLabels(r.counts, c.counts) };
  } else {
    throw new Error(`column '${name}' loaded with two types`);
  }

  for (const [side, col] of [['current', cur], ['reference', ref]] as const) {
    if (col.typeMismatches > 0) {
      findings.push({ severity: 'warning', code: 'type_mismatch', column: name, message: `${col.typeMismatches} ${side} values are not ${plan.spec.type}; counted as missing` });
    }
  }

  const refN = samples.type === 'numeric' ? samples.reference.length : [...samples.reference.values()].reduce((a, b) => a + b, 0);
  const curN = samples.type === 'numeric' ? samples.current.length : [...samples.current.values()].reduce((a, b) => a + b, 0);
  const report = (drift: ColumnDrift): ColumnReport => ({ name, type: plan.spec.type, role: plan.role, drift, quality, ...(hist ? { histogram: hist } : {}) });
  if (refN === 0 || curN === 0) {
    const side = refN === 0 ? 'reference' : 'current';
    findings.push({ severity: 'warning', code: 'all_missing', column: name, message: `every ${side} value is missing: no drift test` });
    return report(noVerdict(plan, `no ${side} values`));
  }
  const distinct = samples.type === 'numeric'
    ? countDistinctUnion(samples.reference.sorted(), samples.current.sorted(), 6)
    : new Set([...samples.reference.keys(), ...samples.current.keys()]).size;
  if ((quality.reference.distinct ?? 0) === 1) {
    findings.push({ severity: 'info', code: 'constant_column', column: name, message: 'the reference holds one value only' });
  }
  const test = plan.test ?? defaultStatTest(plan.spec.type, refN, distinct);
  const info = STAT_TEST_INFO[test];
  if (!info.types.includes(plan.spec.type)) {
    findings.push({ severity: 'error', code: 'test_not_applicable', column: name, message: `${test} applies to ${info.types.join(' or ')} columns, not ${plan.spec.type}` });
    return report(noVerdict(plan, `${test} does not apply to ${plan.spec.type} columns`));
  }
  const threshold = plan.threshold ?? info.defaultThreshold;
  const outcome = runStatTest(test, samples);
  const valid = Number.isFinite(outcome.score);
  return report({
    test, testName: info.display, scoreKind: info.scoreKind, score: valid ? outcome.score : null,
    ...(outcome.statistic !== undefined ? { statistic: outcome.statistic } : {}),
    threshold, drifted: valid ? info.drifted(outcome.score, threshold) : null, chosenBy: plan.test ? 'configured' : 'default',
    ...(outcome.method ? { method: outcome.method } : {}),
    ...(outcome.binning ? { binning: outcome.binning } : {}),
    ...(outcome.note ? { note: outcome.note } : {}),
    ...(valid ? {} : { reason: 'the test gave no finite score' }),
  });
}

const prepare = (column: Column): PreparedColumn => (column.type === 'numeric' ? prepareNumeric(column) : column);

/** Which columns to compare and how, from the options and what the reference holds. */
async function plan(reference: TableSource, options: DriftOptions): Promise<ColumnPlan[]> {
  const excluded = new Set([...(options.excludeColumns ?? []), ...(options.predictionColumn ? [options.predictionColumn] : [])]);
  const specs: ColumnSpec[] = options.columns
    ? [...options.columns]
    : (await Promise.all(reference.columnNames.filter((n) => !excluded.has(n)).map(async (name) => ({ name, type: await reference.inferType(name) }))))
        .map((s) => ({ name: s.name, type: s.type ?? 'categorical' }));
  const withTest = (spec: ColumnSpec, role: ColumnPlan['role']): ColumnPlan => {
    const per = options.perColumn?.[spec.name];
    const test = per?.stattest ?? options.stattest;
    const threshold = per?.threshold ?? options.threshold;
    return { spec, role, ...(test ? { test } : {}), ...(threshold !== undefined ? { threshold } : {}) };
  };
  const plans = specs.map((s) => withTest(s, 'feature'));
  if (options.predictionColumn && reference.columnNames.includes(options.predictionColumn)) {
    const type = options.columns?.find((c) => c.name === options.predictionColumn)?.type ?? (await reference.inferType(options.predictionColumn)) ?? 'categorical';
    plans.push(withTest({ name: options.predictionColumn, type }, 'prediction'));
  }
  return plans;
}

/**
 * Reads and prepares every planned column of a reference into `cache` ahead of its first window (sorted,
 * with the summary the report needs), one column at a time: a window then reads only its own columns.
 * Columns already in the cache are skipped; `stop` ends the work early (the reference was replaced).
 */
export async function prepareReference(reference: TableSource, cache: PreparedColumns, options: Omit<DriftOptions, 'referenceCache'> = {}, stop: () => boolean = () => false): Promise<number> {
  let prepared = 0;
  for (const p of await plan(reference, options)) {
    if (stop()) break;
    if (!reference.columnNames.includes(p.spec.name) || cache.get(p.spec.name, p.spec.type)) continue;
    const column = prepare(await reference.load(p.spec.name, p.spec.type));
    if (column.type === 'numeric') numericSummary(column);
    cache.set(p.spec.name, p.spec.type, column);
    prepared++;
  }
  return prepared;
}

export async function analyzeDrift(reference: TableSource, current: TableSource, options: DriftOptions = {}): Promise<DriftReport> {
  const findings: Finding[] = [];
  const driftShare = options.driftShare ?? 0.5;
  const plans = await plan(reference, options);
  const known = new Set([...plans.map((p) => p.spec.name), ...(options.excludeColumns ?? [])]);
  for (const name of current.columnNames) {
    if (!known.has(name) && !reference.columnNames.includes(name)) {
      findings.push({ severity: 'warning', code: 'extra_column', column: name, message: `current has a column '${name}' that the reference does not; not compared` });
    }
  }
  if (reference.rowCount === 0) findings.push({ severity: 'error', code: 'empty_reference', message: 'the reference has no rows' });
  if (current.rowCount === 0) findings.push({ severity: 'error', code: 'empty_window', message: 'the current window has no rows' });

  // The next column is read while this one is analyzed (file tables read on DuckDB's threads), when a column
  // pair is small enough that holding two of them does not matter.
  const both = (p: ColumnPlan) => reference.columnNames.includes(p.spec.name) && current.columnNames.includes(p.spec.name);
  const readAhead = (reference.rowCount + current.rowCount) * 8 <= READ_AHEAD_BYTES;
  const fetch = (p: ColumnPlan): Promise<[Column | undefined, Column]> => {
    const cached = options.referenceCache?.get(p.spec.name, p.spec.type);
    const pair = Promise.all([cached ? undefined : reference.load(p.spec.name, p.spec.type), current.load(p.spec.name, p.spec.type)]);
    // Awaited when its turn comes; a failure is not unhandled if an earlier column fails first.
    pair.catch(() => undefined);
    return pair;
  };
  let ahead: { plan: ColumnPlan; pair: Promise<[Column | undefined, Column]> } | undefined;
  const reports: ColumnReport[] = [];
  for (const [index, p] of plans.entries()) {
    options.onColumn?.(index, plans.length, p.spec.name);
    const inRef = reference.columnNames.includes(p.spec.name);
    const inCur = current.columnNames.includes(p.spec.name);
    if (!inRef || !inCur) {
      const side = !inCur ? 'current' : 'reference';
      if (current.rowCount > 0 || !inRef) {
        findings.push({ severity: 'error', code: 'missing_column', column: p.spec.name, message: `column '${p.spec.name}' is missing from the ${side} data` });
      }
      const empty = { rows: 0, missing: 0, missingShare: 0, typeMismatches: 0 };
      reports.push({ name: p.spec.name, type: p.spec.type, role: p.role, drift: noVerdict(p, `column missing from the ${side} data`), quality: { reference: empty, current: empty } });
      continue;
    }
    const curType = await current.inferType(p.spec.name);
    if (curType && curType !== p.spec.type && p.spec.type === 'numeric') {
      findings.push({ severity: 'error', code: 'type_differs', column: p.spec.name, message: `column '${p.spec.name}' is numeric in the reference but holds non-numeric values in the current data` });
    }
    const [refRaw, curRaw] = await (ahead?.plan === p ? ahead.pair : fetch(p));
    ahead = undefined;
    let ref = options.referenceCache?.get(p.spec.name, p.spec.type);
    if (!ref) {
      ref = prepare(refRaw ?? (await reference.load(p.spec.name, p.spec.type)));
      options.referenceCache?.set(p.spec.name, p.spec.type, ref);
    }
    // Started only now, so each side's table runs one read at a time.
    const next = plans.slice(index + 1).find(both);
    if (readAhead && next) ahead = { plan: next, pair: fetch(next) };
    reports.push(analyzeColumn(p, ref, prepare(curRaw), findings));
  }
  const features = reports.filter((r) => r.role === 'feature');
  const tested = features.filter((r) => r.drift.drifted !== null);
  const drifted = tested.filter((r) => r.drift.drifted).length;
  const shareDrifted = tested.length === 0 ? null : drifted / tested.length;
  return {
    referenceRows: reference.rowCount,
    currentRows: current.rowCount,
    datasetDrift: { drifted: shareDrifted === null ? null : shareDrifted >= driftShare, driftedColumns: drifted, testedColumns: tested.length, share: shareDrifted, threshold: driftShare },
    columns: features,
    ...(reports.find((r) => r.role === 'prediction') ? { predictionDrift: reports.find((r) => r.role === 'prediction')! } : {}),
    findings,
  };
}
