import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, invalidState, isDomainError, notFound, orThrow } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import { validateProjectName } from '../projects/types.js';
import type { Access } from '../access/access.js';
import { analyze, summarize, type FigureValues, type Verdict } from './analysis.js';
import type { DeploymentCache } from './inference.service.js';
import { ExternalRuntime } from './external-runtime.js';
import type { ModelRuntime } from './model-runtime.js';
import { SERVING_ACTOR, type ModelVersionResolver, type VersionSelector } from './model-source.js';
import { decide, type RolloutDecision } from './rollout.js';
import { candidateWeight } from './router.js';
import { renderRunbook } from './runbook.js';
import { RuntimePool } from './runtime-pool.js';
import { BatchingSchema, LoggingSchema, RoutingSchema } from './schemas.js';
import type { ServingStore } from './serving.store.js';
import type { ServingMetrics } from './serving-metrics.js';
import type { ServingStats } from './serving-stats.js';
import { allocate, type Tensor } from './tensor.js';
import {
  DEFAULT_ANALYSIS, type AnalysisConfig, type BatchingConfig, type Deployment, type DeploymentEvent, type DeploymentFeatures, type EventKind, type FeatureFetchConfig, type LoadTestResult,
  type LoggingConfig, type PredictionRecord, type RoutingConfig, type RuntimeSpec, type ServedVersion, type Strategy,
} from './types.js';

export interface CreateDeploymentInput {
  readonly name?: string;
  readonly modelName: string;
  readonly selector: VersionSelector;
  /** Alias or stage every served version must hold; defaults to the selector's alias or stage, else `Production`. */
  readonly target?: string;
  readonly runtime?: RuntimeSpec;
  readonly routing?: RoutingConfig;
  readonly batching?: BatchingConfig;
  readonly logging?: LoggingConfig;
  /** Fetch the model's features from the feature store for requests that carry only join keys. */
  readonly features?: FeatureFetchInput;
  /** An external runtime whose server does not answer yet is accepted (it serves once it does). */
  readonly allowUnready?: boolean;
  /** The project it goes in (default: `default`). */
  readonly project?: string | undefined;
}

export interface StartRolloutInput {
  readonly selector: VersionSelector;
  readonly runtime?: RuntimeSpec;
  readonly strategy: Strategy;
  readonly steps?: readonly number[];
  readonly intervalMs: number;
  readonly analysis?: AnalysisConfig;
  readonly allowUnready?: boolean;
}

/**
 * A PATCH: each section changes only the fields it gives, as a JSON merge patch (RFC 7396) does; `null` removes
 * an optional routing field. What it does not name stays as stored.
 */
export interface UpdateDeploymentInput {
  readonly routing?: { readonly [K in keyof RoutingConfig]?: RoutingConfig[K] | null };
  readonly batching?: Partial<BatchingConfig>;
  readonly logging?: Partial<LoggingConfig>;
  /** null: requests carry the model's inputs again. */
  readonly features?: FeatureFetchInput | null;
}

/** A deployment's feature list as given: the join keys default to those of the features' entities. */
export type FeatureFetchInput = Omit<FeatureFetchConfig, 'entityKeys'> & { readonly entityKeys?: readonly string[] | undefined };

/** Monitoring figures (drift scores, a business KPI) per version, for rollout checks; the monitoring module supplies them. */
export interface FigureSource {
  figure(deployment: string, modelName: string, version: string, name: string, from: number, to: number): Promise<number | undefined>;
}

/** Records platform lineage edges (the datasets module owns the graph). */
export type LineageSink = (edges: readonly { from: { kind: string; id: string }; to: { kind: string; id: string }; relation: string }[]) => Promise<void>;

export interface TickOutcome {
  readonly deployment: string;
  readonly decision: RolloutDecision;
  readonly verdict: Verdict;
}

const DEFAULT_STEPS: Record<Strategy, readonly number[]> = { canary: [10, 50, 100], shadow: [100], 'blue-green': [100] };
const DEFAULT_ROUTING: RoutingConfig = RoutingSchema.parse({});
const DEFAULT_BATCHING: BatchingConfig = BatchingSchema.parse({});
const DEFAULT_LOGGING: LoggingConfig = LoggingSchema.parse({});
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Deployments and their rollouts. Every change is a compare-and-set on the deployment's revision
 * plus an event, in one transaction, so replicas sharing the database never apply a step twice and
 * the history says who did what and why.
 */
export class DeploymentService {
  /** The feature store, for deployments that fetch their own features (set by the composition root). */
  features: DeploymentFeatures | undefined;

  constructor(
    private readonly store: ServingStore,
    private readonly resolver: ModelVersionResolver,
    private readonly runtimes: RuntimePool,
    private readonly cache: DeploymentCache,
    private readonly stats: ServingStats,
    private readonly metrics: ServingMetrics,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly figures?: FigureSource,
    private readonly lineage?: LineageSink,
  ) {}

  /**
   * Model version → deployment edges in the lineage graph, recorded by the platform as it changes what
   * serves. A lineage store that fails does not undo a deployment change that is already saved.
   */
  private async link(d: Deployment, version: string, relation: 'deployed_as' | 'rollout_candidate_of' | 'promoted_in' | 'rolled_back_from' | 'restored_in'): Promise<void> {
    await this.lineage?.([{ from: { kind: 'model_version', id: `${d.modelName}/${version}` }, to: { kind: 'deployment', id: d.name }, relation }]).catch(() => undefined);
  }

  private async find(name: string): Promise<Deployment> {
    return orThrow(await this.store.get(name), () => notFound(`Deployment '${name}'`));
  }

  /** Resolves the selector to a version that holds the target, or says which check it fails. */
  private async served(actor: Actor, modelName: string, selector: VersionSelector, target: string, runtime: RuntimeSpec | undefined): Promise<ServedVersion> {
    const resolved = await this.resolver.resolve(actor, modelName, selector);
    const blockers = await this.resolver.deployBlockers(actor, modelName, resolved.version, target);
    if (blockers.length > 0) {
      throw invalidState(`Model '${modelName}' version ${resolved.version} may not serve as '${target}': ${blockers.join('; ')}`);
    }
    // Without a runtime named: ONNX when the model has that flavor, a supervised Python scoring process for any other.
    return { version: resolved.version, runtime: runtime ?? (resolved.flavors.onnx ? { kind: 'onnx' } : { kind: 'python' }) };
  }

  /**
   * Loads the version and runs one inference on zeros of its input shapes (dynamic dimensions as 1):
   * a model that does not load or cannot answer never takes traffic. The runtime stays held by the
   * caller until it calls `release`, after it has saved the deployment that refers to it.
   */
  private async warm(d: Deployment, v: ServedVersion, allowUnready = false): Promise<() => void> {
    const { runtime, release } = await this.runtimes.acquire(d, v);
    try {
      if (runtime instanceof ExternalRuntime && !allowUnready) {
        const why = await runtime.unready();
        if (why) throw invalid(`Model '${d.modelName}' version ${v.version}: its model server is not ready (${why}); deploy once it answers, or pass allowUnready (--allow-unready) to accept it now`);
      }
      await this.warmUp(d, v, runtime);
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  private async warmUp(d: Deployment, v: ServedVersion, runtime: ModelRuntime): Promise<void> {
    if (v.runtime.kind === 'external' || runtime.metadata.inputs.length === 0) return;
    const inputs: Tensor[] = runtime.metadata.inputs.map((s) => {
      const shape = s.shape.map((x) => (x < 0 ? 1 : x));
      return { name: s.name, datatype: s.datatype, shape, data: allocate(s.datatype, shape.reduce((a, b) => a * b, 1)) };
    });
    try {
      await runtime.infer(inputs);
    } catch (err) {
      throw invalid(`Model '${d.modelName}' version ${v.version} loaded but failed its warm-up inference: ${(err as Error).message}`);
    }
  }

  private event(d: Deployment, kind: EventKind, actor: string, extra: Partial<Omit<DeploymentEvent, 'id' | 'deployment' | 'kind' | 'actor' | 'time'>> = {}) {
    return { deployment: d.name, time: this.clock.now(), kind, actor, ...extra };
  }

  /** Compare-and-set; a concurrent change by another replica or request is reported, not overwritten. */
  private async save(before: Deployment, changes: Partial<Deployment>, kind: EventKind, actor: string, extra: Parameters<DeploymentService['event']>[3] = {}): Promise<Deployment> {
    const next: Deployment = { ...before, ...changes, updatedAt: this.clock.now(), revision: before.revision + 1 };
    if (!(await this.store.update(next, before.revision, this.event(next, kind, actor, extra)))) {
      throw invalidState(`Deployment '${before.name}' was changed concurrently; read it again and retry`);
    }
    this.cache.set(next);
    this.metrics.candidateWeight.set({ deployment: next.name }, candidateWeight(next));
    return next;
  }

  /** Checks a feature list for the one configuring it (READ on the views) and settles the join keys requests carry. */
  private async featureConfig(actor: Actor, input: FeatureFetchInput): Promise<FeatureFetchConfig> {
    if (!this.features) throw invalidState('This server has no feature store wired to serving');
    const entityKeys = await this.features.keys(actor, input);
    return { features: [...input.features], entityKeys, onStale: input.onStale };
  }

  async create(actor: Actor, input: CreateDeploymentInput): Promise<Deployment> {
    const name = input.name ?? input.modelName;
    // Deploying needs the workspace's (the project's) EDIT and USE on the model (MLflow's level for using, not changing, a model).
    const project = input.project === undefined ? undefined : validateProjectName(input.project);
    await this.access.require(actor, 'EDIT', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    await this.access.require(actor, 'USE', { kind: 'registered_model', id: input.modelName });
    if (!NAME.test(name)) throw invalid(`Invalid value for parameter 'name': '${name}' must be 1–128 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    if (await this.store.get(name)) throw invalidState(`Deployment '${name}' already exists; start a rollout to change its version`);
    const target = input.target ?? input.selector.alias ?? input.selector.stage ?? 'Production';
    const stable = await this.served(actor, input.modelName, input.selector, target, input.runtime);
    const features = input.features ? await this.featureConfig(actor, input.features) : undefined;
    const now = this.clock.now();
    const d: Deployment = {
      name, modelName: input.modelName, target, stable,
      routing: input.routing ?? DEFAULT_ROUTING, batching: input.batching ?? DEFAULT_BATCHING, logging: input.logging ?? DEFAULT_LOGGING,
      ...(features ? { features } : {}),
      createdAt: now, createdBy: actor.userId, updatedAt: now, revision: 1,
    };
    const release = await this.warm(d, stable, input.allowUnready);
    try {
      await this.store.create(d, this.event(d, 'created', actor.userId, { toVersion: stable.version, weight: 0 }));
    } finally {
      release();
    }
    await this.access.created(actor, { kind: 'deployment', id: name }, project);
    this.cache.set(d);
    await this.link(d, stable.version, 'deployed_as');
    return d;
  }

  async get(actor: Actor, name: string): Promise<Deployment> {
    await this.access.require(actor, 'READ', { kind: 'deployment', id: name });
    return this.find(name);
  }

  async list(actor: Actor, project?: string): Promise<Deployment[]> {
    if (project !== undefined) validateProjectName(project);
    await this.access.require(actor, 'READ', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    return this.access.readable(actor, 'deployment', await this.store.list(), (d) => d.name, project);
  }

  async update(actor: Actor, name: string, input: UpdateDeploymentInput): Promise<Deployment> {
    await this.access.require(actor, 'EDIT', { kind: 'deployment', id: name });
    const d = await this.find(name);
    const { features } = input;
    const changes: Partial<Deployment> = {
      ...(input.routing ? { routing: mergePatch(d.routing, input.routing) } : {}),
      ...(input.batching ? { batching: mergePatch(d.batching, input.batching) } : {}),
      ...(input.logging ? { logging: mergePatch(d.logging, input.logging) } : {}),
    };
    if (features) (changes as { features?: FeatureFetchConfig }).features = await this.featureConfig(actor, features);
    // Saved over the deployment without its feature list when the update removes it.
    const { features: _current, ...withoutFeatures } = d;
    const next = await this.save(features === null ? withoutFeatures : d, changes, 'updated', actor.userId, { details: { ...input } });
    await this.retainLoaded();
    return next;
  }

  async delete(actor: Actor, name: string): Promise<void> {
    await this.access.require(actor, 'MANAGE', { kind: 'deployment', id: name });
    const d = await this.find(name);
    if (!(await this.store.delete(name, this.event(d, 'deleted', actor.userId, { fromVersion: d.stable.version })))) throw notFound(`Deployment '${name}'`);
    this.cache.forget(name);
    await this.retainLoaded();
  }

  async startRollout(actor: Actor, name: string, input: StartRolloutInput): Promise<Deployment> {
    await this.access.require(actor, 'EDIT', { kind: 'deployment', id: name });
    const d = await this.find(name);
    // Rolling out a new version uses the model, as deploying it does.
    await this.access.require(actor, 'USE', { kind: 'registered_model', id: d.modelName });
    if (d.rollout) throw invalidState(`Deployment '${name}' is already rolling out version ${d.rollout.candidate.version}; promote, abort or roll it back first`);
    const candidate = await this.served(actor, d.modelName, input.selector, d.target, input.runtime);
    if (candidate.version === d.stable.version && JSON.stringify(candidate.runtime) === JSON.stringify(d.stable.runtime)) {
      throw invalidState(`Version ${candidate.version} of '${d.modelName}' is already the stable version of '${name}'`);
    }
    const steps = input.strategy === 'blue-green' ? [100] : (input.steps ?? DEFAULT_STEPS[input.strategy]);
    if (steps.length === 0 || steps.some((s, i) => s <= 0 || s > 100 || (i > 0 && s < steps[i - 1]!))) {
      throw invalid(`Invalid value for parameter 'steps': percentages in (0, 100], not decreasing; got [${steps.join(', ')}]`);
    }
    let release: () => void;
    try {
      release = await this.warm(d, candidate, input.allowUnready);
    } catch (err) {
      if (!isDomainError(err)) throw err;
      // The deployment stays as it is; the failed attempt is on record with its reason.
      await this.store.addEvent(this.event(d, 'load_failed', actor.userId, { toVersion: candidate.version, reason: err.message }));
      throw invalidState(`Rollout of version ${candidate.version} not started: ${err.message}`);
    }
    const now = this.clock.now();
    try {
      const started = await this.save(d, {
        rollout: {
          candidate, strategy: input.strategy, steps, stepIndex: 0, intervalMs: input.intervalMs, stepStartedAt: now, startedAt: now,
          startedBy: actor.userId, phase: 'progressing', analysis: input.analysis ?? DEFAULT_ANALYSIS,
        },
      }, 'rollout_started', actor.userId, { fromVersion: d.stable.version, toVersion: candidate.version, weight: steps[0]!, details: { strategy: input.strategy, steps, intervalMs: input.intervalMs } });
      await this.link(started, candidate.version, 'rollout_candidate_of');
      return started;
    } finally {
      release();
    }
  }

  private rolling(d: Deployment) {
    return orThrow(d.rollout, () => invalidState(`Deployment '${d.name}' has no rollout in progress`));
  }

  /** Makes the candidate the stable version now, whatever step the rollout is at. */
  async promote(actor: Actor, name: string, reason?: string): Promise<Deployment> {
    await this.access.require(actor, 'EDIT', { kind: 'deployment', id: name });
    return this.promoteAs(await this.find(name), actor.userId, reason ?? 'promoted by hand');
  }

  private async promoteAs(d: Deployment, actor: string, reason: string): Promise<Deployment> {
    const r = this.rolling(d);
    const next = await this.save(d, { stable: r.candidate, previous: d.stable, rollout: undefined }, 'promoted', actor, {
      fromVersion: d.stable.version, toVersion: r.candidate.version, weight: 100, reason,
    });
    await this.link(next, r.candidate.version, 'promoted_in');
    await this.retainLoaded();
    return next;
  }

  async pause(actor: Actor, name: string, reason?: string): Promise<Deployment> {
    await this.access.require(actor, 'EDIT', { kind: 'deployment', id: name });
    const d = await this.find(name);
    const r = this.rolling(d);
    if (r.phase === 'paused') return d;
    return this.save(d, { rollout: { ...r, phase: 'paused' } }, 'paused', actor.userId, { toVersion: r.candidate.version, weight: candidateWeight(d), ...(reason ? { reason } : {}) });
  }

  /** Resumes a paused rollout; the current step's interval starts again. */
  async resume(actor: Actor, name: string): Promise<Deployment> {
    await this.access.require(actor, 'EDIT', { kind: 'deployment', id: name });
    const d = await this.find(name);
    const r = this.rolling(d);
    if (r.phase !== 'paused') return d;
    return this.save(d, { rollout: { ...r, phase: 'progressing', stepStartedAt: this.clock.now() } }, 'resumed', actor.userId, { toVersion: r.candidate.version, weight: candidateWeight(d) });
  }

  /** Stops the rollout: all traffic back on the stable version. */
  async abort(actor: Actor, name: string, reason?: string): Promise<Deployment> {
    await this.access.require(actor, 'EDIT', { kind: 'deployment', id: name });
    const d = await this.find(name);
    const r = this.rolling(d);
    const next = await this.save(d, { rollout: undefined }, 'aborted', actor.userId, { fromVersion: r.candidate.version, toVersion: d.stable.version, weight: 0, ...(reason ? { reason } : {}) });
    await this.retainLoaded();
    return next;
  }

  /**
   * During a rollout: drop the candidate. Otherwise: go back to the version that was stable before
   * the last promotion.
   */
  async rollback(actor: Actor, name: string, reason?: string): Promise<Deployment> {
    await this.access.require(actor, 'EDIT', { kind: 'deployment', id: name });
    const d = await this.find(name);
    const next = await this.rollbackAs(d, actor.userId, reason ?? 'rolled back by hand', 'manual');
    return next;
  }

  private async rollbackAs(d: Deployment, actor: string, reason: string, trigger: 'manual' | 'analysis', details?: Record<string, unknown>): Promise<Deployment> {
    let next: Deployment;
    if (d.rollout) {
      next = await this.save(d, { rollout: undefined }, 'rolled_back', actor, { fromVersion: d.rollout.candidate.version, toVersion: d.stable.version, weight: 0, reason, ...(details ? { details } : {}) });
    } else if (d.previous) {
      next = await this.save(d, { stable: d.previous, previous: undefined }, 'rolled_back', actor, { fromVersion: d.stable.version, toVersion: d.previous.version, weight: 0, reason });
    } else {
      throw invalidState(`Deployment '${d.name}' has no rollout in progress and no previous version to roll back to`);
    }
    this.metrics.rollbacks.inc({ deployment: d.name, trigger });
    await this.link(next, d.rollout ? d.rollout.candidate.version : d.stable.version, 'rolled_back_from');
    if (!d.rollout) await this.link(next, next.stable.version, 'restored_in');
    await this.retainLoaded();
    return next;
  }

  async events(actor: Actor, name: string, limit = 100): Promise<DeploymentEvent[]> {
    await this.access.require(actor, 'READ', { kind: 'deployment', id: name });
    return this.store.events(name, limit);
  }

  /** Candidate vs baseline over the current step so far: what the next tick would judge on. */
  async analysis(actor: Actor, name: string): Promise<Verdict> {
    await this.access.require(actor, 'READ', { kind: 'deployment', id: name });
    const d = await this.find(name);
    this.rolling(d);
    await this.stats.flush();
    return this.verdict(d);
  }

  private async verdict(d: Deployment): Promise<Verdict> {
    const r = this.rolling(d);
    const now = this.clock.now();
    const from = r.stepStartedAt;
    const candidate = summarize(await this.store.metricSamples(d.name, r.candidate.version, from, now));
    const concurrent = summarize(await this.store.metricSamples(d.name, d.stable.version, from, now));
    // At 100% (or with little traffic) the stable version has no errors to compare in this window: use the
    // same length of time just before the rollout started. Latency is judged on the same window only.
    let baseline = concurrent;
    if (baseline.requests < r.analysis.minRequests) {
      const span = Math.max(r.intervalMs, now - from);
      baseline = summarize(await this.store.metricSamples(d.name, d.stable.version, r.startedAt - span, r.startedAt - 1));
    }
    const figures: FigureValues[] = [];
    for (const f of r.analysis.figures) {
      if (!this.figures) break;
      figures.push({
        name: f.name,
        candidate: await this.figures.figure(d.name, d.modelName, r.candidate.version, f.name, from, now),
        baseline: await this.figures.figure(d.name, d.modelName, d.stable.version, f.name, from, now),
      });
    }
    return analyze(r.analysis, candidate, baseline, figures, r.strategy === 'shadow', concurrent);
  }

  /**
   * One pass of the rollout controller over every deployment with a rollout: analyse, then advance,
   * promote or roll back. Any replica may run it; the revision check lets only one apply each step.
   */
  async tick(): Promise<TickOutcome[]> {
    await this.stats.flush();
    const outcomes: TickOutcome[] = [];
    for (const d of await this.store.list()) {
      if (!d.rollout || d.rollout.phase === 'paused') continue;
      const verdict = await this.verdict(d);
      const decision = decide(d, verdict, this.clock.now());
      outcomes.push({ deployment: d.name, decision, verdict });
      try {
        await this.apply(d, decision, verdict);
      } catch (err) {
        if (!(isDomainError(err) && err.code === 'INVALID_STATE')) throw err;
      }
    }
    return outcomes;
  }

  private async apply(d: Deployment, decision: RolloutDecision, verdict: Verdict): Promise<void> {
    const r = this.rolling(d);
    const summary = { checks: verdict.checks, candidate: verdict.candidate, ...(verdict.baseline ? { baseline: verdict.baseline } : {}) };
    switch (decision.action) {
      case 'wait':
        return;
      case 'advance':
        await this.save(d, { rollout: { ...r, stepIndex: decision.nextStep, stepStartedAt: this.clock.now() } }, 'step', SERVING_ACTOR.userId, {
          toVersion: r.candidate.version, weight: r.steps[decision.nextStep]!, reason: `checks held over step ${r.stepIndex + 1}`, details: summary,
        });
        return;
      case 'promote':
        await this.promoteAs(d, SERVING_ACTOR.userId, `checks held over all ${r.steps.length} steps`);
        return;
      case 'rollback':
        await this.rollbackAs(d, SERVING_ACTOR.userId, decision.reason, 'analysis', summary);
        return;
    }
  }

  async runbook(actor: Actor, name: string, serverUrl: string): Promise<string> {
    await this.access.require(actor, 'READ', { kind: 'deployment', id: name });
    const d = await this.find(name);
    return renderRunbook(d, await this.store.events(name, 10), serverUrl);
  }

  async predictions(actor: Actor, name: string, opts: { limit: number; version?: string; since?: number; withFeatureVector?: boolean }): Promise<PredictionRecord[]> {
    await this.access.require(actor, 'READ', { kind: 'deployment', id: name });
    await this.find(name);
    return this.store.predictions(name, opts);
  }

  async prediction(actor: Actor, name: string, predictionId: string): Promise<PredictionRecord> {
    await this.access.require(actor, 'READ', { kind: 'deployment', id: name });
    const p = await this.store.prediction(predictionId);
    if (!p || p.deployment !== name) throw notFound(`Prediction '${predictionId}' of deployment '${name}'`);
    return p;
  }

  /** Stores a load test against the version the deployment serves, as evidence for promotion policies. */
  async recordLoadTest(actor: Actor, name: string, input: Omit<LoadTestResult, 'id' | 'deployment' | 'modelName' | 'version' | 'time' | 'createdBy'> & { version?: string }): Promise<LoadTestResult> {
    await this.access.require(actor, 'EDIT', { kind: 'deployment', id: name });
    const d = await this.find(name);
    const version = input.version ?? d.stable.version;
    if (version !== d.stable.version && version !== d.rollout?.candidate.version) {
      throw invalid(`Invalid value for parameter 'version': deployment '${name}' serves version ${d.stable.version}${d.rollout ? ` and ${d.rollout.candidate.version}` : ''}, not ${version}`);
    }
    const result: LoadTestResult = { ...input, id: newHexId(8), deployment: name, modelName: d.modelName, version, time: this.clock.now(), createdBy: actor.userId };
    await this.store.addLoadTest(result);
    return result;
  }

  async loadTests(actor: Actor, modelName: string, version?: string): Promise<LoadTestResult[]> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: modelName });
    return this.store.loadTests(modelName, version);
  }

  /** Unloads model versions no deployment serves any more (on this replica). */
  async retainLoaded(): Promise<void> {
    const since = this.runtimes.mark();
    const keep = new Set<string>();
    for (const d of await this.store.list()) {
      keep.add(RuntimePool.key(d, d.stable));
      if (d.rollout) keep.add(RuntimePool.key(d, d.rollout.candidate));
    }
    await this.runtimes.retain(keep, since);
  }
}

/** `base` with the patch's fields set, and those it gives as null removed (RFC 7396, one level deep). */
function mergePatch<T extends object>(base: T, patch: { readonly [K in keyof T]?: T[K] | null }): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (value !== undefined) out[key] = value;
  }
  return out as T;
}
