import type { Actor } from '../../core/actor.js';
import type { Run } from '../tracking/types.js';
import type { EvidenceProviders } from './evidence.js';
import { checkName, TAG_ALTERNATIVES, type CheckSpec } from './policy.js';
import type { Approval, CheckResult, ModelVersion, RegisteredModel, Target } from './types.js';
import { formatTarget } from './validation.js';

/** Everything the checks of one move look at, gathered once by the promotion service. */
export interface CheckInputs {
  readonly actor: Actor;
  readonly model: RegisteredModel;
  readonly version: ModelVersion;
  readonly target: Target;
  /** The candidate's source run, or why it could not be read. */
  readonly run?: Run;
  readonly runProblem?: string;
  /** The version holding the target now (other than the candidate), with its source run. */
  readonly current?: { readonly version: ModelVersion; readonly run?: Run };
  readonly requester: string;
  readonly approvals: readonly Approval[];
  /** The promotion request the approvals belong to. */
  readonly requestId?: number;
  /** A move asked for directly (the MLflow API) with no pending request to carry approvals. */
  readonly direct?: boolean;
  readonly evidence: EvidenceProviders;
  /** Who may count as an approver now (absent with auth off: there are no groups and everyone may). */
  readonly approvers?: ApproverDirectory;
}

export interface ApproverDirectory {
  isMember(username: string, group: string): Promise<boolean>;
  /** Still a user, and still allowed to approve (EDIT on the model). */
  mayApprove(username: string, model: string): Promise<boolean>;
}

/**
 * Differences within this relative margin count as equal, so `0.85` against `0.9` with tolerance `0.05`
 * passes although 0.9 − 0.05 is 0.8500000000000001 in binary floating point.
 */
const FLOAT_SLACK = 1e-9;

const latestMetric = (run: Run | undefined, key: string) => run?.data.metrics.find((m) => m.key === key);

const result = (spec: CheckSpec, passed: boolean, detail: string, evidence: Record<string, unknown>): CheckResult => ({
  type: spec.type, name: checkName(spec), passed, detail, evidence,
});

function noRun(spec: CheckSpec, inputs: CheckInputs): CheckResult {
  const why = inputs.runProblem ?? `version ${inputs.version.version} has no source run`;
  return result(spec, false, why, { version: inputs.version.version });
}

function requiredTags(spec: Extract<CheckSpec, { type: 'required_tags' }>, inputs: CheckInputs): CheckResult {
  const run = inputs.run;
  if (!run) return noRun(spec, inputs);
  const tags = new Map(run.data.tags.map((t) => [t.key, t.value]));
  const found: Record<string, { key: string; value: string }> = {};
  const missing: string[] = [];
  for (const wanted of spec.tags) {
    const key = [wanted, ...(TAG_ALTERNATIVES[wanted] ?? [])].find((k) => (tags.get(k) ?? '') !== '');
    if (key === undefined) missing.push(wanted);
    else found[wanted] = { key, value: tags.get(key)! };
  }
  const evidence = { runId: run.info.runId, found, missing };
  if (missing.length === 0) return result(spec, true, `run ${run.info.runId} has ${spec.tags.join(', ')}`, evidence);
  const accepted = missing.map((m) => (TAG_ALTERNATIVES[m] ? `${m} (or ${TAG_ALTERNATIVES[m]!.join(', ')})` : m));
  return result(spec, false, `run ${run.info.runId} lacks tags: ${accepted.join(', ')}`, evidence);
}

function compare(value: number, op: Extract<CheckSpec, { type: 'metric_threshold' }>['op'], threshold: number): boolean {
  switch (op) {
    case '>=': return value >= threshold;
    case '>': return value > threshold;
    case '<=': return value <= threshold;
    case '<': return value < threshold;
    case '==': return value === threshold;
  }
}

function metricThreshold(spec: Extract<CheckSpec, { type: 'metric_threshold' }>, inputs: CheckInputs): CheckResult {
  const run = inputs.run;
  if (!run) return noRun(spec, inputs);
  const m = latestMetric(run, spec.metric);
  const evidence = { runId: run.info.runId, metric: spec.metric, op: spec.op, threshold: spec.value, value: m?.value ?? null, step: m?.step ?? null };
  if (!m) return result(spec, false, `metric '${spec.metric}' is not logged on run ${run.info.runId}`, evidence);
  if (Number.isNaN(m.value)) return result(spec, false, `metric '${spec.metric}' is NaN on run ${run.info.runId}`, { ...evidence, value: 'NaN' });
  const passed = compare(m.value, spec.op, spec.value);
  return result(spec, passed, `${spec.metric} = ${m.value}${passed ? '' : `, needs ${spec.op} ${spec.value}`}`, evidence);
}

function notWorseThanCurrent(spec: Extract<CheckSpec, { type: 'not_worse_than_current' }>, inputs: CheckInputs): CheckResult {
  const run = inputs.run;
  if (!run) return noRun(spec, inputs);
  const base = { metric: spec.metric, direction: spec.direction, tolerance: spec.tolerance, runId: run.info.runId };
  const current = inputs.current;
  if (!current) return result(spec, true, `no version holds ${formatTarget(inputs.target)}; nothing to compare with`, base);
  const candidate = latestMetric(run, spec.metric);
  if (!candidate || Number.isNaN(candidate.value)) {
    return result(spec, false, `metric '${spec.metric}' is not logged on run ${run.info.runId}`, { ...base, currentVersion: current.version.version });
  }
  const held = latestMetric(current.run, spec.metric);
  if (!held || Number.isNaN(held.value)) {
    return result(spec, true, `current version ${current.version.version} has no '${spec.metric}'; nothing to compare with`, {
      ...base, candidate: candidate.value, currentVersion: current.version.version, current: null,
    });
  }
  // How much worse the candidate is, positive meaning worse in the stated direction.
  const worseBy = spec.direction === 'higher_is_better' ? held.value - candidate.value : candidate.value - held.value;
  const passed = worseBy <= spec.tolerance + FLOAT_SLACK * Math.max(1, Math.abs(held.value));
  const evidence = { ...base, candidate: candidate.value, current: held.value, currentVersion: current.version.version, worseBy };
  const detail = `${spec.metric} ${candidate.value} vs ${held.value} of version ${current.version.version}`
    + (passed ? '' : ` (worse by ${worseBy}, tolerance ${spec.tolerance})`);
  return result(spec, passed, detail, evidence);
}

async function evidenceCheck(spec: Extract<CheckSpec, { type: 'evidence' }>, inputs: CheckInputs): Promise<CheckResult> {
  const provider = inputs.evidence.get(spec.provider);
  if (!provider) {
    return result(spec, false, `no evidence provider named '${spec.provider}' is registered`, { provider: spec.provider, known: inputs.evidence.names() });
  }
  try {
    const r = await provider({
      actor: inputs.actor, model: inputs.model, version: inputs.version, target: inputs.target, params: spec.params,
      ...(inputs.run ? { run: inputs.run } : {}),
    });
    return { type: 'evidence', name: checkName(spec), passed: r.passed === true, detail: r.detail, evidence: { provider: spec.provider, ...r.evidence } };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return result(spec, false, `evidence provider '${spec.provider}' failed: ${message}`, { provider: spec.provider });
  }
}

/** Reproductions are another module's evidence; the check names the provider that holds them. */
async function reproduced(spec: Extract<CheckSpec, { type: 'reproduced' }>, inputs: CheckInputs): Promise<CheckResult> {
  const r = await evidenceCheck({ type: 'evidence', provider: 'reproduced', params: { by: spec.by, ...(spec.tolerance !== undefined ? { tolerance: spec.tolerance } : {}) } }, inputs);
  return { ...r, type: spec.type, name: checkName(spec) };
}

/**
 * Distinct approvers other than the requester and (unless turned off) the source run's author who may still approve
 * (a user whose access was taken away since no longer counts) and, with `group`, are members now.
 */
async function approvals(spec: Extract<CheckSpec, { type: 'approvals' }>, inputs: CheckInputs): Promise<CheckResult> {
  const author = spec.excludeRunAuthor !== false ? inputs.run?.info.userId : undefined;
  const excluded = new Set([inputs.requester, ...(author ? [author] : [])]);
  const candidates = [...new Set(inputs.approvals.map((a) => a.userId))].filter((u) => !excluded.has(u));
  const outside: string[] = [];
  const unauthorized: string[] = [];
  const approvers: string[] = [];
  const directory = inputs.approvers;
  for (const u of candidates) {
    if (directory && !(await directory.mayApprove(u, inputs.model.name))) unauthorized.push(u);
    else if (spec.group === undefined || (directory && (await directory.isMember(u, spec.group)))) approvers.push(u);
    else outside.push(u);
  }
  const passed = approvers.length >= spec.required;
  const evidence = {
    required: spec.required, approvers, requester: inputs.requester, ...(author ? { runAuthor: author } : {}), ...(spec.group ? { group: spec.group, notInGroup: outside } : {}),
    ...(unauthorized.length ? { noLongerAuthorized: unauthorized } : {}), ...(inputs.requestId !== undefined ? { requestId: inputs.requestId } : {}),
  };
  if (passed) return result(spec, true, `${approvers.length} of ${spec.required} approvals${approvers.length ? ` (${approvers.join(', ')})` : ''}`, evidence);
  const who = [`users other than ${[...excluded].join(' and ')}`, ...(spec.group ? [`in group '${spec.group}'`] : [])].join(' ');
  const how = inputs.direct ? '; a direct move carries none: open a promotion request (`openexpert models promote`) and have it approved' : '';
  const ignored = [outside.length ? `not in the group: ${outside.join(', ')}` : '', unauthorized.length ? `no longer allowed to approve: ${unauthorized.join(', ')}` : ''].filter(Boolean);
  return result(spec, false, `${approvers.length} of ${spec.required} approvals from ${who}${ignored.length ? ` (${ignored.join('; ')})` : ''}${how}`, evidence);
}

/** Evaluates every check (none short-circuits), so a blocked move reports all that is missing at once. */
export async function evaluateChecks(specs: readonly CheckSpec[], inputs: CheckInputs): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const spec of specs) {
    switch (spec.type) {
      case 'required_tags': out.push(requiredTags(spec, inputs)); break;
      case 'metric_threshold': out.push(metricThreshold(spec, inputs)); break;
      case 'not_worse_than_current': out.push(notWorseThanCurrent(spec, inputs)); break;
      case 'evidence': out.push(await evidenceCheck(spec, inputs)); break;
      case 'approvals': out.push(await approvals(spec, inputs)); break;
      case 'reproduced': out.push(await reproduced(spec, inputs)); break;
    }
  }
  return out;
}

export const failedChecks = (results: readonly CheckResult[]) => results.filter((r) => !r.passed);

/** The message of a blocked move: every failed check with its reason. */
export function blockedMessage(what: string, results: readonly CheckResult[]): string {
  const failed = failedChecks(results).map((r) => `[${r.type}] ${r.name}: ${r.detail}`);
  return `${what} is blocked by the promotion policy; failed checks: ${failed.join('; ')}`;
}
