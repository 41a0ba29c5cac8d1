/**
 * The fairness audit of a binary decision: per sensitive attribute (and their intersections) the group
 * rates, Fairlearn's and AIF360's summaries, and pass/fail against thresholds. Counts per group come
 * from the caller (the whole data, or one bootstrap resample), so the same code gives point values and
 * interval samples.
 */
import type { StatLayout } from './bootstrap.js';
import {
  addCounts, AIF360_METRICS, aif360Summary, countOf, FAIRLEARN_METRICS, fairlearnSummary, GROUP_METRIC_REASONS, GROUP_METRICS, groupRates,
  type FairnessThreshold, type GroupCounts,
} from './fairness.metrics.js';
import type { GroupingColumn } from './evaluation-input.js';
import type { Combos, View } from './groups.js';
import type { AttributeFairness, Estimate, FairnessCheck, FairnessReport, Interval, Metrics } from './types.js';

export interface FairnessView {
  readonly view: View;
  /** Labels of the view's privileged groups; absent when no privileged group was declared for all its columns. */
  readonly privileged?: ReadonlySet<string>;
  /** Whether the thresholds gate this view (single attributes do; intersections are reported). */
  readonly checked: boolean;
}

/** How rows are grouped for one evaluation: the grouping columns, their combos, slice and fairness views. */
export interface GroupSetup {
  readonly columns: readonly GroupingColumn[];
  readonly combos: Combos;
  readonly slices: readonly View[];
  readonly fairness: readonly FairnessView[];
  readonly thresholds: readonly FairnessThreshold[];
}

export const CONVENTIONS = {
  fairlearn: 'Fairlearn: unsigned, between groups — difference = max − min, ratio = min / max over the groups (0/0 = 1)',
  aif360: 'AIF360: signed, unprivileged against privileged — difference = unprivileged − privileged, ratio = unprivileged / privileged',
} as const;

function summaries(fv: FairnessView, counts: readonly GroupCounts[]) {
  const fairlearn = fairlearnSummary(counts);
  if (!fv.privileged) return { fairlearn };
  const zero: GroupCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  let privileged = zero;
  let unprivileged = zero;
  fv.view.groups.forEach((g, i) => {
    if (fv.privileged!.has(g.label)) privileged = addCounts(privileged, counts[i]!);
    else unprivileged = addCounts(unprivileged, counts[i]!);
  });
  // AIF360 users also compare each unprivileged group alone with the privileged one: a pooled "everyone
  // else" can hide one group far below the rest.
  const byGroup = unprivilegedGroups(fv).map((i) => ({ index: i, counts: counts[i]!, metrics: aif360Summary(privileged, counts[i]!) }));
  return { fairlearn, aif360: aif360Summary(privileged, unprivileged), privileged, unprivileged, byGroup };
}

const unprivilegedGroups = (fv: FairnessView) => fv.view.groups.flatMap((g, i) => (fv.privileged!.has(g.label) ? [] : [i]));

export interface FairnessSlots {
  readonly groups: number[][];
  readonly fairlearn: number[];
  readonly aif360: number[];
  /** Per unprivileged group (in `unprivilegedGroups` order), its AIF360 metrics against the privileged. */
  readonly aif360ByGroup: number[][];
}

export function fairnessSlots(fv: FairnessView, layout: StatLayout): FairnessSlots {
  const name = fv.view.name;
  return {
    groups: fv.view.groups.map((g) => GROUP_METRICS.map((m) => layout.add(`group:${name}:${g.label}:${m}`))),
    fairlearn: FAIRLEARN_METRICS.map((m) => layout.add(`fairness:${name}:fairlearn:${m}`)),
    aif360: fv.privileged ? AIF360_METRICS.map((m) => layout.add(`fairness:${name}:aif360:${m}`)) : [],
    aif360ByGroup: fv.privileged ? unprivilegedGroups(fv).map((i) => AIF360_METRICS.map((m) => layout.add(`fairness:${name}:aif360:${fv.view.groups[i]!.label}:${m}`))) : [],
  };
}

/** One resample's values into its slots. */
export function writeFairness(fv: FairnessView, counts: readonly GroupCounts[], slots: FairnessSlots, out: Float64Array): void {
  counts.forEach((c, g) => {
    const rates = groupRates(c);
    GROUP_METRICS.forEach((m, j) => (out[slots.groups[g]![j]!] = rates[m]));
  });
  const s = summaries(fv, counts);
  FAIRLEARN_METRICS.forEach((m, j) => (out[slots.fairlearn[j]!] = s.fairlearn[m]));
  if (s.aif360) AIF360_METRICS.forEach((m, j) => (out[slots.aif360[j]!] = s.aif360![m]));
  s.byGroup?.forEach((g, k) => AIF360_METRICS.forEach((m, j) => (out[slots.aif360ByGroup[k]![j]!] = g.metrics[m])));
}

const estimate = (value: number, reason: string, ci?: Interval): Estimate =>
  Number.isNaN(value) ? { value: null, reason } : ci ? { value, ci } : { value };

function fairlearnReason(metric: string): string {
  if (metric.startsWith('demographic_parity')) return 'fewer than two non-empty groups';
  if (metric.startsWith('equal_opportunity')) return 'fewer than two groups have positive labels (TPR is undefined without them)';
  return 'fewer than two groups have a defined TPR or FPR';
}

function aifReason(metric: string, privileged: GroupCounts, unprivileged: GroupCounts): string {
  if (countOf(privileged) === 0) return 'no row is in the privileged group';
  if (countOf(unprivileged) === 0) return 'every row is in the privileged group';
  if (metric === 'disparate_impact') return "the privileged group's selection rate is 0";
  const noPositives = privileged.tp + privileged.fn === 0 ? 'privileged' : unprivileged.tp + unprivileged.fn === 0 ? 'unprivileged' : undefined;
  if (noPositives) return `the ${noPositives} group has no positive labels, so its TPR is undefined`;
  return 'a group has no negative labels, so its FPR is undefined';
}

const fmt = (v: number) => String(Number(v.toPrecision(4)));

function check(t: FairnessThreshold, metrics: Metrics | undefined): FairnessCheck {
  const base = { metric: t.metric, convention: t.convention, ...(t.min !== undefined ? { min: t.min } : {}), ...(t.max !== undefined ? { max: t.max } : {}) };
  const bounds = [t.min !== undefined ? `≥ ${t.min}` : '', t.max !== undefined ? `≤ ${t.max}` : ''].filter(Boolean).join(' and ');
  const m = metrics?.[t.metric];
  if (!metrics) return { ...base, value: null, passed: null, detail: `${t.metric} (${t.convention}) needs a privileged group; none was declared` };
  if (!m || m.value === null) return { ...base, value: null, passed: null, detail: `${t.metric} is undefined: ${m?.reason ?? 'not computed'}` };
  const passed = (t.min === undefined || m.value >= t.min) && (t.max === undefined || m.value <= t.max);
  return { ...base, value: m.value, passed, detail: `${t.metric} = ${fmt(m.value)}${passed ? ` (${bounds})` : `, needs ${bounds}`}` };
}

function attributeReport(fv: FairnessView, counts: readonly GroupCounts[], thresholds: readonly FairnessThreshold[], ciOf: (name: string) => Interval | undefined): AttributeFairness {
  const name = fv.view.name;
  const s = summaries(fv, counts);
  const groups = fv.view.groups.map((g, i) => {
    const rates = groupRates(counts[i]!);
    const metrics = Object.fromEntries(GROUP_METRICS.map((m) => [m, estimate(rates[m], GROUP_METRIC_REASONS[m], ciOf(`group:${name}:${g.label}:${m}`))]));
    return { group: g.label, count: countOf(counts[i]!), ...(fv.privileged ? { privileged: fv.privileged.has(g.label) } : {}), metrics };
  });
  const fairlearn = Object.fromEntries(FAIRLEARN_METRICS.map((m) => [m, estimate(s.fairlearn[m], fairlearnReason(m), ciOf(`fairness:${name}:fairlearn:${m}`))]));
  const aif360 = s.aif360
    ? Object.fromEntries(AIF360_METRICS.map((m) => [m, estimate(s.aif360![m], aifReason(m, s.privileged!, s.unprivileged!), ciOf(`fairness:${name}:aif360:${m}`))]))
    : undefined;
  const aif360ByGroup = s.byGroup?.map((g) => {
    const label = fv.view.groups[g.index]!.label;
    return {
      group: label, count: countOf(g.counts),
      metrics: Object.fromEntries(AIF360_METRICS.map((m) => [m, estimate(g.metrics[m], aifReason(m, s.privileged!, g.counts), ciOf(`fairness:${name}:aif360:${label}:${m}`))])) as Metrics,
    };
  });
  const notes: string[] = [];
  // The gate compares the pooled unprivileged rows; say when one group alone would fall outside a threshold.
  if (fv.checked && aif360ByGroup) {
    for (const t of thresholds.filter((x) => x.convention === 'aif360')) {
      for (const g of aif360ByGroup) {
        const c = check(t, g.metrics);
        if (c.passed === false) notes.push(`Against the privileged group alone, '${g.group}' has ${c.detail} (the check above pools every unprivileged group).`);
      }
    }
  }
  const withoutPositives = groups.filter((g) => g.count > 0 && g.metrics.true_positive_rate!.value === null).map((g) => `'${g.group}'`);
  const withoutNegatives = groups.filter((g) => g.count > 0 && g.metrics.false_positive_rate!.value === null).map((g) => `'${g.group}'`);
  if (withoutPositives.length) notes.push(`Groups without positive labels (${withoutPositives.join(', ')}) have no TPR and are left out of the equalized odds and equal opportunity summaries; Fairlearn would count their TPR as 0.`);
  if (withoutNegatives.length) notes.push(`Groups without negative labels (${withoutNegatives.join(', ')}) have no FPR and are left out of the equalized odds summaries; Fairlearn would count their FPR as 0.`);
  const small = groups.filter((g) => g.count > 0 && g.count < 30).map((g) => `'${g.group}' (${g.count})`);
  if (small.length) notes.push(`Small groups, whose rates are uncertain: ${small.join(', ')}.`);
  if (!fv.checked) notes.push('Intersections are reported, not gated: thresholds apply to single attributes.');
  const checks = fv.checked ? thresholds.map((t) => check(t, t.convention === 'fairlearn' ? fairlearn : aif360)) : [];
  return {
    attribute: name,
    columns: fv.view.columns,
    groups,
    fairlearn,
    ...(aif360 ? { aif360, aif360ByGroup: aif360ByGroup!, privilegedGroups: fv.view.groups.filter((g) => fv.privileged!.has(g.label)).map((g) => g.label) } : {}),
    checks,
    notes,
  };
}

export function fairnessReport(setup: GroupSetup, countsOf: (view: View) => GroupCounts[], ciOf: (name: string) => Interval | undefined): FairnessReport {
  const attributes = setup.fairness.map((fv) => attributeReport(fv, countsOf(fv.view), setup.thresholds, ciOf));
  const checks = attributes.flatMap((a) => a.checks);
  const passed = checks.some((c) => c.passed === false) ? false : checks.some((c) => c.passed === null) ? null : true;
  return { attributes, passed, conventions: CONVENTIONS };
}
