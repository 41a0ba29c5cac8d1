import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, invalidState, isDomainError, notFound, orThrow } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access } from '../access/access.js';
import type { ModelVersion, RegisteredModel } from '../registry/types.js';
import type { RunAdmission } from '../tracking/run.service.js';
import type { Batch, KeyValue, Metric, Run, RunInfo, RunStatus } from '../tracking/types.js';
import { bestTrial } from './best.js';
import { MIN_IMPORTANCE_TRIALS, parameterImportance, type Importance } from './importance.js';
import { ashaJudge, medianShouldStop } from './pruners.js';
import { gridSize, suggest } from './samplers.js';
import { normalizeConfig, type CreateSweepInput } from './schemas.js';
import { checkSpace } from './space.js';
import type { SweepStore } from './sweeps.store.js';
import type { TpeTrial } from './tpe.js';
import type { CurvePoint, Sweep, SweepDetail, SweepLease, SweepSummary, Trial, TrialState } from './types.js';

/** What sweeps need of tracking: trial runs are ordinary runs, created and read with the caller's rights. */
export interface SweepRuns {
  create(actor: Actor, input: { experimentId: string; runName: string; tags: readonly KeyValue[] }): Promise<RunInfo>;
  get(actor: Actor, runId: string): Promise<Run>;
  logBatch(actor: Actor, runId: string, batch: Batch): Promise<void>;
  update(actor: Actor, runId: string, input: { status: RunStatus; endTime?: number }): Promise<unknown>;
  metricHistory(actor: Actor, input: { runId: string; key: string; maxResults?: number; pageToken?: string }): Promise<{ items: readonly Metric[]; nextPageToken?: string }>;
}

export interface SweepRegistry {
  getRegisteredModel(actor: Actor, name: string): Promise<RegisteredModel>;
  createRegisteredModel(actor: Actor, input: { name: string }): Promise<RegisteredModel>;
  createModelVersion(actor: Actor, input: { name: string; source: string; runId: string; description?: string; tags: readonly KeyValue[] }): Promise<ModelVersion>;
}

export const SWEEP_TAGS = { experimentType: 'experiment_type', parent: 'mlflow.parentRunId', sweepId: 'openexpert.sweep_id', trial: 'openexpert.sweep.trial' } as const;
const SEARCH = 'hyperparameter-search';
const STATES: readonly TrialState[] = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAILED', 'INTERRUPTED'];

/**
 * Hyperparameter sweeps. The server keeps a sweep's whole state and makes every decision (which parameters a
 * trial gets, whether it stops early, how it ended, which trial is best); controllers — `openexpert sweep` or
 * the SDK — only ask for trials, run them and report back, so a controller that dies loses nothing: `resume`
 * hands the trials it was running out again, under the same numbers. Access follows the sweep's experiment.
 */
export class SweepService {
  constructor(
    private readonly store: SweepStore,
    private readonly runs: SweepRuns,
    private readonly registry: SweepRegistry,
    private readonly access: Access,
    private readonly clock: Clock,
    /** Asked before a trial starts: a compute budget's hard stop refuses it (see RunService's admission). */
    private readonly admit?: RunAdmission,
  ) {}

  async create(actor: Actor, input: CreateSweepInput): Promise<SweepDetail> {
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: input.experimentId });
    const config = normalizeConfig(input.config);
    checkSpace(config.parameters);
    const grid = gridSize(config);
    if (grid === undefined && input.trials === undefined) throw invalid("Invalid value for parameter 'trials': give how many trials a random or TPE sweep runs");
    const maxTrials = Math.min(input.trials ?? grid!, grid ?? Infinity);
    const id = newHexId();
    const parent = await this.runs.create(actor, {
      experimentId: input.experimentId, runName: input.name,
      tags: [{ key: SWEEP_TAGS.experimentType, value: SEARCH }, { key: SWEEP_TAGS.sweepId, value: id }],
    });
    await this.runs.logBatch(actor, parent.runId, {
      metrics: [], tags: [],
      params: [
        { key: 'sweep.method', value: config.method }, { key: 'sweep.metric', value: config.metric.name }, { key: 'sweep.goal', value: config.metric.goal },
        { key: 'sweep.seed', value: String(config.seed) }, ...(config.earlyStopping ? [{ key: 'sweep.early_stopping', value: config.earlyStopping.type }] : []),
      ],
    });
    const now = this.clock.now();
    const sweep: Sweep = { id, name: input.name, experimentId: input.experimentId, parentRunId: parent.runId, config, maxTrials, createdBy: actor.userId, createdAt: now, updatedAt: now };
    await this.store.createSweep(sweep);
    return this.detail(sweep, []);
  }

  async get(actor: Actor, id: string): Promise<SweepDetail> {
    const sweep = await this.sweep(actor, id, 'READ');
    return this.detail(sweep, await this.store.listTrials(id));
  }

  async list(actor: Actor, query: { experimentId?: string | undefined; maxResults?: number | undefined }): Promise<SweepSummary[]> {
    if (query.experimentId !== undefined) await this.access.require(actor, 'READ', { kind: 'experiment', id: query.experimentId });
    else await this.access.require(actor, 'READ', { kind: 'server' });
    const sweeps = await this.store.listSweeps({ ...(query.experimentId !== undefined ? { experimentIds: [query.experimentId] } : {}), limit: query.maxResults ?? 100 });
    const readable = await this.access.readable(actor, 'experiment', sweeps, (s) => s.experimentId);
    return Promise.all(readable.map(async (s) => {
      const { trials: _omitted, ...summary } = this.detail(s, await this.store.listTrials(s.id));
      return summary;
    }));
  }

  /**
   * The next trial: an interrupted one again (same number and parameters, a new run), else a new number with
   * parameters from the sweep's method; none when the sweep has all its trials. Its run is a child of the sweep's.
   */
  async ask(actor: Actor, id: string, input: { host?: string | undefined; controller?: string | undefined }): Promise<Trial | undefined> {
    const sweep = await this.sweep(actor, id, 'EDIT');
    await this.requireLease(id, input.controller);
    // Before a trial is claimed, so a refused one stays to be handed out once the budget allows.
    await this.admit?.({ experimentId: sweep.experimentId, userId: actor.userId, tags: this.trialTags(sweep, -1) });
    for (let attempt = 0; attempt < 20; attempt++) {
      const trials = await this.store.listTrials(id);
      const interrupted = trials.find((t) => t.state === 'INTERRUPTED');
      if (interrupted) {
        const claimed = await this.store.updateTrial(id, interrupted.number, {
          state: 'RUNNING', runId: '', value: null, step: null, checkedStep: -1, curve: null, reason: null, pid: null, host: input.host ?? null,
          attempts: interrupted.attempts + 1, startedAt: this.clock.now(), endedAt: null,
        }, ['INTERRUPTED']);
        if (!claimed) continue;
        await this.store.clearRungs(id, interrupted.number);
        return this.startRun(actor, sweep, interrupted.number, interrupted.params);
      }
      if (trials.length >= sweep.maxTrials) return undefined;
      const number = trials.length;
      const finished: TpeTrial[] = trials.filter((t) => t.state === 'COMPLETE' || t.state === 'PRUNED').map((t) => ({
        number: t.number, state: t.state as 'COMPLETE' | 'PRUNED', params: t.params,
        ...(t.state === 'COMPLETE' ? { value: t.value ?? NaN } : t.step !== undefined ? { lastStep: t.step, lastValue: t.value ?? NaN } : {}),
      }));
      const params = suggest(sweep.config, number, finished);
      const inserted = await this.store.insertTrial({
        sweepId: id, number, state: 'RUNNING', params, runId: '', checkedStep: -1, attempts: 1, startedAt: this.clock.now(), ...(input.host ? { host: input.host } : {}),
      });
      if (inserted) return this.startRun(actor, sweep, number, params);
    }
    throw invalidState(`Sweep '${id}' is too busy: another controller kept taking the next trial; try again`);
  }

  private async startRun(actor: Actor, sweep: Sweep, number: number, params: Trial['params']): Promise<Trial> {
    const run = await this.runs.create(actor, {
      experimentId: sweep.experimentId, runName: `${sweep.name}-${number}`,
      tags: this.trialTags(sweep, number),
    });
    await this.runs.logBatch(actor, run.runId, { metrics: [], tags: [], params: Object.entries(params).map(([key, v]) => ({ key, value: String(v) })) });
    await this.store.updateTrial(sweep.id, number, { runId: run.runId });
    return this.trial(sweep.id, number);
  }

  private trialTags(sweep: Sweep, number: number): KeyValue[] {
    return [
      { key: SWEEP_TAGS.parent, value: sweep.parentRunId }, { key: SWEEP_TAGS.experimentType, value: SEARCH },
      { key: SWEEP_TAGS.sweepId, value: sweep.id }, ...(number >= 0 ? [{ key: SWEEP_TAGS.trial, value: String(number) }] : []),
    ];
  }

  /** Records the process running a trial, so that a resumed sweep can stop what the dead controller left running. */
  async recordProcess(actor: Actor, id: string, number: number, input: { pid: number; host: string }): Promise<Trial> {
    await this.sweep(actor, id, 'EDIT');
    if (!(await this.store.updateTrial(id, number, { pid: input.pid, host: input.host }, ['RUNNING']))) {
      throw invalidState(`Trial ${number} of sweep '${id}' is ${(await this.trial(id, number)).state}, not RUNNING`);
    }
    return this.trial(id, number);
  }

  /**
   * Whether a running trial should stop: every step it logged since the last check is judged in order, as if
   * checked at each one. A stopped trial is PRUNED at the first step the rule stops it, with its value there.
   */
  async checkPrune(actor: Actor, id: string, number: number): Promise<{ stop: boolean; trial: Trial }> {
    const sweep = await this.sweep(actor, id, 'EDIT');
    const trial = await this.trial(id, number);
    if (trial.state !== 'RUNNING') return { stop: trial.state === 'PRUNED', trial };
    const curve = await this.curve(actor, sweep, trial.runId);
    const stopped = await this.judge(sweep, trial, curve, '');
    return { stop: stopped, trial: await this.trial(id, number) };
  }

  private async judge(sweep: Sweep, trial: Trial, curve: readonly CurvePoint[], note: string): Promise<boolean> {
    const rule = sweep.config.earlyStopping;
    const pending = curve.filter(([s]) => s > trial.checkedStep);
    if (!rule || pending.length === 0) return false;
    const goal = sweep.config.metric.goal;
    const others = await this.store.listTrials(sweep.id);
    const completed = others.filter((t) => t.state === 'COMPLETE' && t.number !== trial.number).map((t) => t.curve ?? []);
    const rungs = rule.type === 'asha' ? (await this.store.rungValues(sweep.id)).filter((r) => r.number !== trial.number) : [];
    let rungsDone = rule.type === 'asha' ? (await this.store.rungValues(sweep.id)).filter((r) => r.number === trial.number).length : 0;
    for (const [step, value] of pending) {
      let stop: boolean;
      if (rule.type === 'median') stop = medianShouldStop(rule, goal, curve.filter(([s]) => s <= step), step, completed);
      else {
        const verdict = ashaJudge(rule, goal, step, value, rungsDone, (rung) => rungs.filter((r) => r.rung === rung).map((r) => r.value));
        await this.store.addRungValues(sweep.id, trial.number, verdict.record);
        rungsDone += verdict.record.length;
        stop = verdict.stop;
      }
      if (stop) {
        const why = rule.type === 'median' ? 'its best value so far was worse than the median of completed trials' : 'it was not in the top 1/η at its rung';
        return this.store.updateTrial(sweep.id, trial.number, {
          state: 'PRUNED', value, step, checkedStep: step, curve: curve.filter(([s]) => s <= step),
          reason: `stopped at step ${step} by the ${rule.type === 'median' ? 'median rule' : 'ASHA rule'}: ${why}${note}`, endedAt: this.clock.now(),
        }, ['RUNNING']);
      }
    }
    await this.store.updateTrial(sweep.id, trial.number, { checkedStep: pending.at(-1)![0] }, ['RUNNING']);
    return false;
  }

  /**
   * How a trial's process ended. Exit 0: COMPLETE with the objective's last value, unless a step it logged
   * after the last check would have stopped it (PRUNED then, so the verdict does not depend on timing) or it
   * never logged the objective (FAILED). Any other ending is FAILED, with why; a stopped trial stays PRUNED.
   */
  async finish(actor: Actor, id: string, number: number, input: { exitCode: number | null; signal: string | null }): Promise<Trial> {
    const sweep = await this.sweep(actor, id, 'EDIT');
    const trial = await this.trial(id, number);
    if (trial.state === 'PRUNED') {
      await this.store.updateTrial(id, number, { pid: null });
      return this.afterTrial(actor, sweep, number);
    }
    if (trial.state !== 'RUNNING') throw invalidState(`Trial ${number} of sweep '${id}' is ${trial.state}, not RUNNING`);
    const curve = await this.curve(actor, sweep, trial.runId);
    const ended = { pid: null, endedAt: this.clock.now() } as const;
    if (input.exitCode !== 0 || input.signal) {
      const how = input.signal ? `was killed by ${input.signal}` : `exited with code ${input.exitCode}`;
      const last = curve.at(-1);
      await this.store.updateTrial(id, number, { ...ended, state: 'FAILED', curve, reason: `the command ${how}`, ...(last ? { step: last[0], value: last[1] } : {}) }, ['RUNNING']);
    } else if (await this.judge(sweep, trial, curve, ' (judged when it ended, before it was checked)')) {
      await this.store.updateTrial(id, number, { pid: null });
    } else if (curve.length === 0) {
      await this.store.updateTrial(id, number, { ...ended, state: 'FAILED', curve, reason: `the objective '${sweep.config.metric.name}' was never logged` }, ['RUNNING']);
    } else {
      const [step, value] = curve.at(-1)!;
      const before = bestTrial(await this.store.listTrials(id), sweep.config.metric.goal);
      await this.store.updateTrial(id, number, { ...ended, state: 'COMPLETE', value, step, curve }, ['RUNNING']);
      const better = before === undefined || (sweep.config.metric.goal === 'minimize' ? value < before.value! : value > before.value!);
      // The parent run carries the best value so far, one point per trial: MLflow's own UI then draws the curve.
      if (!Number.isNaN(value) && better) {
        await this.runs.logBatch(actor, sweep.parentRunId, { params: [], tags: [], metrics: [{ key: `best_${sweep.config.metric.name}`, value, timestamp: this.clock.now(), step: number }] });
      }
    }
    return this.afterTrial(actor, sweep, number);
  }

  /** Ends the parent run once the sweep has all its trials and none is left to run. */
  private async afterTrial(actor: Actor, sweep: Sweep, number: number): Promise<Trial> {
    const trials = await this.store.listTrials(sweep.id);
    if (trials.length >= sweep.maxTrials && trials.every((t) => t.state !== 'RUNNING' && t.state !== 'INTERRUPTED')) {
      await this.runs.update(actor, sweep.parentRunId, { status: 'FINISHED', endTime: this.clock.now() });
    }
    return trials.find((t) => t.number === number)!;
  }

  /**
   * After a controller died: its running trials become INTERRUPTED (their runs KILLED), to be handed out again.
   * Returns them with the processes recorded, for the new controller to stop any that survived.
   */
  async resume(actor: Actor, id: string, input: { controller?: string | undefined } = {}): Promise<Trial[]> {
    const sweep = await this.sweep(actor, id, 'EDIT');
    await this.requireLease(id, input.controller);
    const out: Trial[] = [];
    for (const t of (await this.store.listTrials(id)).filter((x) => x.state === 'RUNNING')) {
      if (!(await this.store.updateTrial(id, t.number, { state: 'INTERRUPTED', reason: 'its controller stopped before it ended', endedAt: this.clock.now() }, ['RUNNING']))) continue;
      if (t.runId) await this.runs.update(actor, t.runId, { status: 'KILLED', endTime: this.clock.now() }).catch(ignoreMissing);
      out.push({ ...t, state: 'INTERRUPTED' });
    }
    await this.reopen(actor, sweep);
    return out;
  }

  /**
   * Takes or renews the sweep's lease for a controller: granted when nobody holds it, the controller already does,
   * the holder's lease expired, or the caller names the holder it found dead. Not granted, it says who holds it.
   */
  async acquireLease(actor: Actor, id: string, input: { controller: string; host: string; pid: number; ttlMs: number; takeOver?: string | undefined }): Promise<{ granted: boolean; lease: SweepLease }> {
    await this.sweep(actor, id, 'EDIT');
    const now = this.clock.now();
    const lease = await this.store.acquireLease({ sweepId: id, controller: input.controller, host: input.host, pid: input.pid, acquiredAt: now, expiresAt: now + input.ttlMs }, input.takeOver);
    return { granted: lease.controller === input.controller, lease };
  }

  async releaseLease(actor: Actor, id: string, input: { controller: string }): Promise<void> {
    await this.sweep(actor, id, 'EDIT');
    await this.store.releaseLease(id, input.controller);
  }

  /** Scheduling and resuming are refused while another controller holds a live lease on the sweep. */
  private async requireLease(id: string, controller: string | undefined): Promise<void> {
    const lease = await this.store.getLease(id);
    if (!lease || lease.controller === controller || lease.expiresAt < this.clock.now()) return;
    throw invalidState(`Sweep '${id}' is driven by another controller (${lease.controller}, pid ${lease.pid} on ${lease.host}), whose lease runs until `
      + `${new Date(lease.expiresAt).toISOString()} unless renewed: stop that controller, or wait until it ends or its lease expires`);
  }

  async extend(actor: Actor, id: string, input: { trials: number }): Promise<SweepDetail> {
    const sweep = await this.sweep(actor, id, 'EDIT');
    const grid = gridSize(sweep.config);
    if (grid !== undefined && sweep.maxTrials >= grid) throw invalidState(`Sweep '${id}' already covers its whole grid of ${grid} points`);
    const maxTrials = Math.min(sweep.maxTrials + input.trials, grid ?? Infinity);
    await this.store.setMaxTrials(id, maxTrials, this.clock.now());
    const extended = { ...sweep, maxTrials };
    await this.reopen(actor, extended);
    return this.detail(extended, await this.store.listTrials(id));
  }

  private async reopen(actor: Actor, sweep: Sweep): Promise<void> {
    const parent = await this.runs.get(actor, sweep.parentRunId).catch(ignoreMissing);
    if (parent && parent.info.status !== 'RUNNING') await this.runs.update(actor, sweep.parentRunId, { status: 'RUNNING' });
  }

  async best(actor: Actor, id: string): Promise<Trial> {
    const sweep = await this.sweep(actor, id, 'READ');
    return orThrow(bestTrial(await this.store.listTrials(id), sweep.config.metric.goal), () => notFound(`A best trial of sweep '${id}' (no trial completed with a value)`));
  }

  /**
   * How much of the objective's variance each parameter explains on its own over the search space (fANOVA over a
   * seeded random forest fitted to the complete trials), shares summing to 1.
   */
  async importance(actor: Actor, id: string, input: { seed: number; trees: number }): Promise<Importance> {
    const sweep = await this.sweep(actor, id, 'READ');
    const trials = await this.store.listTrials(id);
    const usable = trials.filter((t) => t.state === 'COMPLETE' && t.value !== undefined && Number.isFinite(t.value)).length;
    if (usable < MIN_IMPORTANCE_TRIALS) throw invalidState(`Sweep '${id}' has ${usable} complete trial(s) with a finite value; parameter importance needs at least ${MIN_IMPORTANCE_TRIALS}`);
    return parameterImportance(sweep.config.parameters, trials, { seed: input.seed, nTrees: input.trees });
  }

  /** Registers the best trial's model (logged under `artifactPath` in its run) as a new version of `name`. */
  async registerBest(actor: Actor, id: string, input: { name: string; artifactPath: string; description?: string | undefined }): Promise<ModelVersion> {
    const sweep = await this.sweep(actor, id, 'READ');
    const best = await this.best(actor, id);
    try {
      await this.registry.getRegisteredModel(actor, input.name);
    } catch (err) {
      // A model the caller may not read answers as missing too: that one is not to be created, but refused as it was.
      if (!isDomainError(err) || err.code !== 'RESOURCE_DOES_NOT_EXIST' || err.concealed) throw err;
      await this.registry.createRegisteredModel(actor, { name: input.name });
    }
    return this.registry.createModelVersion(actor, {
      name: input.name, source: `runs:/${best.runId}/${input.artifactPath.replace(/^\/+/, '')}`, runId: best.runId,
      ...(input.description !== undefined ? { description: input.description } : {}),
      tags: [
        { key: SWEEP_TAGS.sweepId, value: sweep.id }, { key: SWEEP_TAGS.trial, value: String(best.number) },
        { key: `sweep.${sweep.config.metric.name}`, value: String(best.value) },
      ],
    });
  }

  private async sweep(actor: Actor, id: string, permission: 'READ' | 'EDIT'): Promise<Sweep> {
    const sweep = orThrow(await this.store.getSweep(id), () => notFound(`Sweep '${id}'`));
    await this.access.require(actor, permission, { kind: 'experiment', id: sweep.experimentId, asMissing: () => notFound(`Sweep '${id}'`) });
    return sweep;
  }

  private async trial(id: string, number: number): Promise<Trial> {
    return orThrow(await this.store.getTrial(id, number), () => notFound(`Trial ${number} of sweep '${id}'`));
  }

  /** The objective's history in the trial's run: one point per step, the last value logged at that step. */
  private async curve(actor: Actor, sweep: Sweep, runId: string): Promise<CurvePoint[]> {
    const byStep = new Map<number, number>();
    let pageToken: string | undefined;
    do {
      const page = await this.runs.metricHistory(actor, { runId, key: sweep.config.metric.name, maxResults: 25_000, ...(pageToken ? { pageToken } : {}) });
      for (const m of page.items) byStep.set(m.step, m.value);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return [...byStep].sort((a, b) => a[0] - b[0]);
  }

  private detail(sweep: Sweep, trials: readonly Trial[]): SweepDetail {
    const counts = Object.fromEntries(STATES.map((s) => [s, trials.filter((t) => t.state === s).length])) as Record<TrialState, number>;
    const done = trials.length >= sweep.maxTrials && counts.RUNNING === 0 && counts.INTERRUPTED === 0;
    const best = bestTrial(trials, sweep.config.metric.goal);
    return { ...sweep, state: done ? 'FINISHED' : 'RUNNING', counts, ...(best ? { best } : {}), trials };
  }
}

const ignoreMissing = (err: unknown): undefined => {
  if (isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
  throw err;
};
