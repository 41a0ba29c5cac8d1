/**
 * Promotion-policy evidence from evaluations, registered with the registry at start-up:
 *
 * - `evaluation`: metric thresholds on the version's newest evaluation (optionally on a named dataset),
 *   e.g. `{provider: evaluation, params: {dataset: holdout, thresholds: [{metric: roc_auc, op: '>=', value: 0.85}]}}`;
 *   `bound: lower` (or `upper`) compares the interval's bound instead of the point value.
 * - `fairness`: the newest evaluation's fairness audit — every check passed — or thresholds given here,
 *   e.g. `{metric: disparate_impact, min: 0.8, max: 1.25}` for every sensitive attribute.
 * - `comparison`: the candidate is not worse than the version now holding the target, by a paired
 *   comparison on the same rows (`openexpert evaluations compare`), or failing that by the two versions'
 *   newest evaluations on the same data (same digest).
 */
import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import type { EvidenceContext, EvidenceProvider } from '../registry/evidence.js';
import type { CheckResult, ModelVersion, RegisteredModel, Target } from '../registry/types.js';
import { higherIsBetter } from './compare.js';
import type { EvaluationService } from './evaluation.service.js';
import { evaluateCommand } from './suggested-command.js';
import type { Estimate, Evaluation, Metrics } from './types.js';

const Op = z.enum(['>=', '>', '<=', '<', '==']);
const Threshold = z.object({ metric: z.string().min(1), op: Op, value: z.number().finite() }).strict();

const EvaluationParams = z.object({
  dataset: z.string().min(1).optional(),
  metric: z.string().min(1).optional(),
  op: Op.optional(),
  value: z.number().finite().optional(),
  thresholds: z.array(Threshold).max(50).optional(),
  bound: z.enum(['point', 'lower', 'upper']).default('point'),
  maxAgeDays: z.number().positive().optional(),
}).strict();

const FairnessParams = z.object({
  dataset: z.string().min(1).optional(),
  attributes: z.array(z.string().min(1)).optional(),
  thresholds: z.array(z.object({
    metric: z.string().min(1), convention: z.enum(['fairlearn', 'aif360']).optional(), min: z.number().finite().optional(), max: z.number().finite().optional(),
  }).strict()).max(50).optional(),
  maxAgeDays: z.number().positive().optional(),
}).strict();

const ComparisonParams = z.object({
  metric: z.string().min(1),
  dataset: z.string().min(1).optional(),
  tolerance: z.number().min(0).default(0),
  /** `point`: the delta itself may not be worse than −tolerance; `significant`: fail only when the whole interval is. */
  rule: z.enum(['point', 'significant']).default('point'),
}).strict();

function parseParams<S extends z.ZodType>(provider: string, schema: S, params: unknown): z.output<S> {
  const r = schema.safeParse(params ?? {});
  if (!r.success) throw invalid(`${provider} evidence params: ${r.error.issues[0]!.path.join('.') || 'params'}: ${r.error.issues[0]!.message}`);
  return r.data;
}

const result = (name: string, passed: boolean, detail: string, evidence: Record<string, unknown>): CheckResult => ({ type: 'evidence', name, passed, detail, evidence });

function compare(value: number, op: z.infer<typeof Op>, threshold: number): boolean {
  switch (op) {
    case '>=': return value >= threshold;
    case '>': return value > threshold;
    case '<=': return value <= threshold;
    case '<': return value < threshold;
    case '==': return value === threshold;
  }
}

async function newest(service: EvaluationService, version: ModelVersion, dataset: string | undefined, maxAgeDays: number | undefined, now: () => number): Promise<Evaluation | undefined> {
  const { evaluations } = await service.evidenceOf({ name: version.name, version: version.version }, { ...(dataset ? { dataset } : {}), limit: 1 });
  const e = evaluations[0];
  if (!e || (maxAgeDays !== undefined && now() - e.createdAt > maxAgeDays * 86_400_000)) return undefined;
  return e;
}

const noEvaluation = (version: ModelVersion, dataset?: string, maxAgeDays?: number) =>
  `version ${version.version} has no evaluation${dataset ? ` on '${dataset}'` : ''}${maxAgeDays !== undefined ? ` from the last ${maxAgeDays} days` : ''}; run \`${evaluateCommand(version, dataset)}\``;

export function evaluationEvidence(service: EvaluationService, now: () => number): EvidenceProvider {
  return async ({ version, params }: EvidenceContext) => {
    const p = parseParams('evaluation', EvaluationParams, params);
    const thresholds = [...(p.thresholds ?? [])];
    if (p.metric !== undefined) {
      if (p.op === undefined || p.value === undefined) throw invalid('evaluation evidence params: metric needs op and value');
      thresholds.push({ metric: p.metric, op: p.op, value: p.value });
    }
    if (thresholds.length === 0) throw invalid('evaluation evidence params: give metric/op/value or thresholds');
    const e = await newest(service, version, p.dataset, p.maxAgeDays, now);
    if (!e) return result('evaluation', false, noEvaluation(version, p.dataset, p.maxAgeDays), { dataset: p.dataset ?? null });
    const problems: string[] = [];
    const values: Record<string, number | null> = {};
    for (const t of thresholds) {
      const m: Estimate | undefined = e.result.metrics[t.metric];
      const v = m?.value === null || m === undefined ? undefined : p.bound === 'point' ? m.value : m.ci ? (p.bound === 'lower' ? m.ci.lower : m.ci.upper) : undefined;
      values[t.metric] = v ?? null;
      if (v === undefined) problems.push(`${t.metric} ${m ? (m.value === null ? `is undefined: ${m.reason}` : `has no interval (bound ${p.bound})`) : 'was not computed'}`);
      else if (!compare(v, t.op, t.value)) problems.push(`${t.metric}${p.bound === 'point' ? '' : ` (${p.bound} bound)`} = ${v}, needs ${t.op} ${t.value}`);
    }
    const summary = `evaluation ${e.id} on ${e.dataset.name}`;
    return result('evaluation', problems.length === 0, problems.length ? `${summary}: ${problems.join('; ')}` : `${summary}: ${thresholds.map((t) => `${t.metric} ${t.op} ${t.value}`).join(', ')}`, {
      evaluationId: e.id, dataset: e.dataset.name, digest: e.dataset.digest, bound: p.bound, values,
    });
  };
}

export function fairnessEvidence(service: EvaluationService, now: () => number): EvidenceProvider {
  return async ({ version, params }: EvidenceContext) => {
    const p = parseParams('fairness', FairnessParams, params);
    const e = await newest(service, version, p.dataset, p.maxAgeDays, now);
    if (!e) return result('fairness', false, noEvaluation(version, p.dataset, p.maxAgeDays), { dataset: p.dataset ?? null });
    const audit = e.result.fairness;
    if (!audit) return result('fairness', false, `evaluation ${e.id} has no fairness audit: run \`${evaluateCommand(version, p.dataset)} --sensitive <columns>\``, { evaluationId: e.id });
    const attributes = audit.attributes.filter((a) => a.columns.length === 1 && (!p.attributes || p.attributes.includes(a.attribute)));
    const missing = (p.attributes ?? []).filter((name) => !attributes.some((a) => a.attribute === name));
    const problems: string[] = missing.map((name) => `attribute '${name}' was not audited`);
    for (const a of attributes) {
      if (!p.thresholds) {
        for (const c of a.checks) if (c.passed !== true) problems.push(`${a.attribute}: ${c.detail}`);
        continue;
      }
      for (const t of p.thresholds) {
        const conventions: (keyof Pick<typeof a, 'fairlearn' | 'aif360'>)[] = t.convention ? [t.convention] : ['aif360', 'fairlearn'];
        const metrics: Metrics | undefined = conventions.map((c) => a[c]).find((m) => m && t.metric in m);
        const m = metrics?.[t.metric];
        if (!m) problems.push(`${a.attribute}: ${t.metric} not computed${t.convention === 'aif360' || !t.convention ? ' (AIF360 metrics need a privileged group)' : ''}`);
        else if (m.value === null) problems.push(`${a.attribute}: ${t.metric} is undefined: ${m.reason}`);
        else if ((t.min !== undefined && m.value < t.min) || (t.max !== undefined && m.value > t.max)) {
          problems.push(`${a.attribute}: ${t.metric} = ${Number(m.value.toPrecision(4))}, needs${t.min !== undefined ? ` ≥ ${t.min}` : ''}${t.max !== undefined ? ` ≤ ${t.max}` : ''}`);
        }
      }
    }
    if (attributes.length === 0 && problems.length === 0) problems.push('no sensitive attribute was audited');
    const summary = `fairness audit of evaluation ${e.id} (${attributes.map((a) => a.attribute).join(', ')})`;
    return result('fairness', problems.length === 0, problems.length ? `${summary}: ${problems.join('; ')}` : `${summary}: all checks pass`, {
      evaluationId: e.id, dataset: e.dataset.name, attributes: attributes.map((a) => ({ attribute: a.attribute, checks: a.checks })),
    });
  };
}

/** The version now holding a target, other than the candidate. */
export function currentHolder(model: RegisteredModel, target: Target, candidate: number): number | undefined {
  if (target.kind === 'alias') {
    const v = model.aliases.find((a) => a.alias === target.alias)?.version;
    return v === candidate ? undefined : v;
  }
  return model.latestVersions.filter((v) => v.currentStage === target.stage && v.version !== candidate).map((v) => v.version).sort((a, b) => b - a)[0];
}

export function comparisonEvidence(service: EvaluationService): EvidenceProvider {
  return async ({ model, version, target, params }: EvidenceContext) => {
    const p = parseParams('comparison', ComparisonParams, params);
    const holder = currentHolder(model, target, version.version);
    const base = { metric: p.metric, tolerance: p.tolerance, rule: p.rule };
    if (holder === undefined) return result('comparison', true, 'no other version holds the target; nothing to compare with', base);
    const better = higherIsBetter(p.metric);
    /** How much worse the candidate is, positive meaning worse. */
    const worseBy = (delta: number) => (better ? -delta : delta);
    const paired = await service.latestComparison({ name: model.name, version: version.version }, { name: model.name, version: holder }, p.dataset);
    if (paired) {
      const d = paired.result.deltas.find((x) => x.metric === p.metric);
      if (!d || d.delta.value === null) {
        return result('comparison', false, `comparison ${paired.id} has no delta for ${p.metric}${d?.delta.value === null ? `: ${d.delta.reason}` : ''}`, { ...base, comparisonId: paired.id });
      }
      const ci = d.delta.ci;
      // Under `significant`, the least-worse end of the interval decides: only a candidate worse beyond doubt fails.
      const judged = p.rule === 'significant' && ci ? Math.min(worseBy(ci.lower), worseBy(ci.upper)) : worseBy(d.delta.value);
      const passed = judged <= p.tolerance + 1e-12;
      const detail = `${p.metric}: candidate − v${holder} = ${Number(d.delta.value.toPrecision(4))}${ci ? ` [${Number(ci.lower.toPrecision(4))}, ${Number(ci.upper.toPrecision(4))}]` : ''}`
        + `${d.pValue !== null ? `, p = ${Number(d.pValue.toPrecision(3))}` : ''} on ${paired.dataset.name} (paired)${passed ? '' : `: worse by more than ${p.tolerance}`}`;
      return result('comparison', passed, detail, { ...base, comparisonId: paired.id, currentVersion: holder, delta: d.delta, pValue: d.pValue, mcnemar: paired.result.mcnemar ?? null });
    }
    const mine = (await service.evidenceOf({ name: model.name, version: version.version }, { ...(p.dataset ? { dataset: p.dataset } : {}), limit: 20 })).evaluations;
    const theirs = (await service.evidenceOf({ name: model.name, version: holder }, { ...(p.dataset ? { dataset: p.dataset } : {}), limit: 20 })).evaluations;
    const pair = mine.flatMap((a) => theirs.filter((b) => b.dataset.digest === a.dataset.digest).map((b) => [a, b] as const))[0];
    if (!pair) {
      return result('comparison', true, `no paired comparison with v${holder} and no evaluations of both on the same data; nothing to compare with`, { ...base, currentVersion: holder });
    }
    const [a, b] = pair;
    const va = a.result.metrics[p.metric]?.value;
    const vb = b.result.metrics[p.metric]?.value;
    if (va === null || va === undefined) return result('comparison', false, `${p.metric} is not defined in evaluation ${a.id} of the candidate`, { ...base, currentVersion: holder });
    if (vb === null || vb === undefined) return result('comparison', true, `v${holder} has no ${p.metric} on ${b.dataset.name}; nothing to compare with`, { ...base, currentVersion: holder });
    const passed = worseBy(va - vb) <= p.tolerance + 1e-12;
    return result('comparison', passed, `${p.metric} ${va} vs ${vb} of v${holder} on ${a.dataset.name} (same data, unpaired)${passed ? '' : `: worse by more than ${p.tolerance}`}`, {
      ...base, currentVersion: holder, candidate: va, current: vb, evaluationIds: [a.id, b.id],
    });
  };
}

/** What main.ts registers: the three providers under their policy names. */
export function registerEvaluationEvidence(
  providers: { registerEvidenceProvider(name: string, provider: EvidenceProvider): void },
  service: EvaluationService,
  now: () => number,
): void {
  providers.registerEvidenceProvider('evaluation', evaluationEvidence(service, now));
  providers.registerEvidenceProvider('fairness', fairnessEvidence(service, now));
  providers.registerEvidenceProvider('comparison', comparisonEvidence(service));
}
