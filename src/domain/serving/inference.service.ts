import { randomUUID } from 'node:crypto';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, invalidState, isDomainError, notFound } from '../../core/errors.js';
import type { Access } from '../access/access.js';
import { ExternalRuntime } from './external-runtime.js';
import { isModelFailure, ModelFailure, type ModelRuntime } from './model-runtime.js';
import type { PredictionLogger } from './prediction-logger.js';
import { route, type RouteRequest } from './router.js';
import type { RuntimePool } from './runtime-pool.js';
import type { ServingStore } from './serving.store.js';
import type { ServingMetrics } from './serving-metrics.js';
import type { ServingStats } from './serving-stats.js';
import { checkInputs, tensorsFromColumns, tensorValues, type ModelMetadata, type Tensor } from './tensor.js';
import { outputsAgree } from './output-comparison.js';
import { DEFAULT_ANALYSIS, type Deployment, type DeploymentFeatures, type FeatureFetchConfig, type FeatureVector, type PredictionRecord, type ServedVersion, type ShadowRecord } from './types.js';

export interface InferRequest {
  readonly deployment: string;
  /** A version named in the URL: answers for itself, no traffic split. */
  readonly version?: string;
  /** Request headers and OIP `parameters`, where the deployment's sticky key and feature flag are read. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Builds the input tensors once the model's declared inputs are known (MLflow formats need them to type JSON values). */
  readonly inputs: readonly Tensor[] | ((metadata: ModelMetadata) => readonly Tensor[]);
  /** Only these outputs, when given (OIP `outputs`). */
  readonly outputs?: readonly string[];
  /** The join keys and feature values the inputs were made from: logged with the prediction when it is sampled. */
  readonly featureVector?: FeatureVector;
  /**
   * For a deployment that fetches its own features: the request's join key columns, read from its wire format
   * (the keys the deployment takes are given). Features are then fetched and become the model's inputs.
   */
  readonly entities?: (keys: readonly string[]) => Readonly<Record<string, readonly unknown[]>>;
}

export interface InferResult {
  readonly modelName: string;
  readonly version: string;
  readonly predictionId: string;
  readonly outputs: readonly Tensor[];
  /** Stale feature values the deployment scored anyway (its `features.onStale` is 'warn'), one line per feature. */
  readonly warnings?: readonly string[];
}

/**
 * Deployments as this replica last read them: refreshed from the database at most every
 * `refreshMs`, so a rollout step taken by another replica shows up here within that time.
 */
export class DeploymentCache {
  private readonly entries = new Map<string, { deployment: Deployment; readAt: number }>();

  constructor(
    private readonly store: ServingStore,
    private readonly refreshMs = 1000,
  ) {}

  async get(name: string): Promise<Deployment | undefined> {
    const hit = this.entries.get(name);
    const now = performance.now();
    if (hit && now - hit.readAt < this.refreshMs) return hit.deployment;
    const fresh = await this.store.get(name);
    if (fresh) this.entries.set(name, { deployment: fresh, readAt: now });
    else this.entries.delete(name);
    return fresh;
  }

  set(d: Deployment): void {
    this.entries.set(d.name, { deployment: d, readAt: performance.now() });
  }

  forget(name: string): void {
    this.entries.delete(name);
  }
}

/** The request path: route, check inputs, run, count, mirror, log. */
export class InferenceService {
  /** The feature store's online path, for deployments that fetch their own features (set by the composition root). */
  features: DeploymentFeatures | undefined;

  constructor(
    private readonly cache: DeploymentCache,
    private readonly runtimes: RuntimePool,
    private readonly stats: ServingStats,
    private readonly metrics: ServingMetrics,
    private readonly predictions: PredictionLogger,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  private async deployment(actor: Actor, name: string, permission: 'READ' | 'USE' = 'READ'): Promise<Deployment> {
    await this.access.require(actor, permission, { kind: 'deployment', id: name });
    const d = await this.cache.get(name);
    if (!d) throw notFound(`Deployment '${name}'`);
    return d;
  }

  async metadata(actor: Actor, name: string, version?: string): Promise<{ deployment: Deployment; served: ServedVersion; metadata: ModelMetadata }> {
    const d = await this.deployment(actor, name);
    const { served } = route(d, { version: version ?? 'stable' }, this.random);
    const runtime = await this.load(d, served);
    return { deployment: d, served, metadata: runtime.metadata };
  }

  /** Ready when the version's runtime is loaded (loading it if need be); false with the reason otherwise. */
  async ready(actor: Actor, name: string, version?: string): Promise<{ ready: boolean; reason?: string }> {
    const d = await this.deployment(actor, name);
    const { served } = route(d, { version: version ?? 'stable' }, this.random);
    try {
      const runtime = await this.runtimes.get(d, served);
      // A forwarding runtime is only as ready as the server behind it.
      const why = runtime instanceof ExternalRuntime ? await runtime.unready() : undefined;
      return why ? { ready: false, reason: why } : { ready: true };
    } catch (err) {
      return { ready: false, reason: (err as Error).message };
    }
  }

  async infer(actor: Actor, req: InferRequest): Promise<InferResult> {
    // Predicting uses the model: MLflow's USE level.
    const d = await this.deployment(actor, req.deployment, 'USE');
    const hints = routeHints(d, req);
    const choice = route(d, hints, this.random);
    const stable = choice.side === 'stable' ? choice.served : d.stable;
    // The stable version's signature is the endpoint's contract: input that breaks it is the caller's mistake.
    const stableRuntime = choice.side === 'stable' || req.version === undefined ? await this.load(d, stable) : undefined;
    const fetched = d.features ? await this.fetchFeatures(d, d.features, req) : undefined;
    const given = fetched ? fetched.inputs : req.inputs;
    const inputs = typeof given === 'function' ? given((stableRuntime ?? (await this.load(d, choice.served))).metadata) : given;
    if (stableRuntime && stableRuntime.metadata.inputs.length > 0) checkInputs(stableRuntime.metadata.inputs, inputs, (i) => `inputs[${i}]`);

    let served = choice.served;
    let outputs: Tensor[];
    const started = performance.now();
    if (choice.side === 'candidate') {
      try {
        outputs = await this.run(d, served, inputs, false);
      } catch (err) {
        // A pinned version (URL or flag) answers for itself; a canary's failure is the stable version's to cover.
        if (hints.version !== undefined || hints.flag !== undefined || !(isModelFailure(err) || isDomainError(err))) throw err;
        this.metrics.fallbacks.inc({ deployment: d.name, version: served.version });
        served = stable;
        outputs = await this.run(d, stable, inputs, stableRuntime !== undefined);
      }
    } else {
      outputs = await this.run(d, served, inputs, stableRuntime !== undefined);
    }
    const latencyMs = performance.now() - started;

    const selected = req.outputs && req.outputs.length > 0 ? selectOutputs(outputs, req.outputs) : outputs;
    const predictionId = randomUUID();
    const record: PredictionRecord | undefined = d.logging.sampleRate > 0 && this.random() < d.logging.sampleRate
      ? {
          predictionId, deployment: d.name, modelName: d.modelName, version: served.version, time: this.clock.now(), latencyMs, inputs: tensorsJson(inputs), outputs: tensorsJson(selected),
          ...(fetched ? fetched.logged : req.featureVector ? { featureVector: req.featureVector } : {}),
        }
      : undefined;
    // A sampled shadow request is logged once the candidate has answered too, with both answers.
    if (choice.mirror) void this.mirror(d, choice.mirror, inputs, outputs, record);
    else if (record) this.predictions.offer(record);
    return { modelName: d.modelName, version: served.version, predictionId, outputs: selected, ...(fetched?.warnings.length ? { warnings: fetched.warnings } : {}) };
  }

  /**
   * The request's join keys → feature vectors from the online store (as the platform: who configured the deployment
   * was checked for READ on the views) → the model's input columns, and what the prediction log keeps of them.
   */
  private async fetchFeatures(d: Deployment, config: FeatureFetchConfig, req: InferRequest) {
    if (!this.features) throw invalidState(`Deployment '${d.name}' fetches its features, and this server has no feature store wired to serving`);
    if (req.featureVector) throw invalid(`Invalid value for parameter 'parameters.feature_vector': deployment '${d.name}' fetches its own features and logs the vector it used; send only the join keys ${config.entityKeys.join(', ')}`);
    if (!req.entities) throw invalid(`Deployment '${d.name}' fetches its features: send the join keys ${config.entityKeys.join(', ')}`);
    const entities = req.entities(config.entityKeys);
    const { columns, vectors, warnings } = await this.features.vectors({ features: config.features, entities, onStale: config.onStale });
    const rows = vectors.map((v) => columns.map((c) => v.values[c]));
    return {
      inputs: (metadata: ModelMetadata) => tensorsFromColumns(columns, rows, metadata, 'features'),
      logged: vectors.length === 1 ? { featureVector: vectors[0]! } : { featureVectors: vectors },
      warnings,
    };
  }

  /** A version that cannot be loaded is unavailable (503), whatever the reason: the request itself was fine. */
  private async load(d: Deployment, v: ServedVersion): Promise<ModelRuntime> {
    try {
      return await this.runtimes.get(d, v);
    } catch (err) {
      throw new ModelFailure(`deployment '${d.name}': version ${v.version} of '${d.modelName}' could not be loaded: ${(err as Error).message}`, true);
    }
  }

  /** Runs one version and counts the outcome for rollout analysis and Prometheus. */
  private async run(d: Deployment, v: ServedVersion, inputs: readonly Tensor[], checked: boolean): Promise<Tensor[]> {
    const started = performance.now();
    const labels = { deployment: d.name, version: v.version };
    try {
      const runtime = await this.load(d, v);
      if (!checked && runtime.metadata.inputs.length > 0) checkInputs(runtime.metadata.inputs, inputs, (i) => `inputs[${i}]`);
      const outputs = await withTimeout(runtime.infer(inputs), d.batching.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS).catch((err: unknown) => {
        // The caller sees which deployment failed it: one server hosts many.
        throw isModelFailure(err) ? new ModelFailure(`deployment '${d.name}' (version ${v.version}): ${err.message}`, err.unavailable) : err;
      });
      const ms = performance.now() - started;
      this.stats.record(d.name, v.version, ms, true);
      this.metrics.requests.inc({ ...labels, outcome: 'ok' });
      this.metrics.latency.observe(labels, ms / 1000);
      return outputs;
    } catch (err) {
      this.stats.record(d.name, v.version, performance.now() - started, false);
      this.metrics.requests.inc({ ...labels, outcome: 'error' });
      throw err;
    }
  }

  /**
   * Mirrored traffic (shadow, blue-green before its switch): the candidate's answer is compared and
   * counted, never returned, and its failures never reach the caller.
   */
  private async mirror(d: Deployment, candidate: ServedVersion, inputs: readonly Tensor[], stableOutputs: readonly Tensor[], record: PredictionRecord | undefined): Promise<void> {
    let shadow: ShadowRecord;
    try {
      const outputs = await this.run(d, candidate, inputs, false);
      const agreed = outputsAgree(outputs, stableOutputs, d.rollout?.analysis ?? DEFAULT_ANALYSIS);
      this.stats.recordComparison(d.name, candidate.version, agreed);
      this.metrics.comparisons.inc({ deployment: d.name, version: candidate.version, result: agreed ? 'match' : 'mismatch' });
      shadow = { version: candidate.version, outputs: tensorsJson(outputs), agreed };
    } catch (err) {
      // counted as an error of the candidate by run()
      shadow = { version: candidate.version, error: (err as Error).message };
    }
    if (record) this.predictions.offer({ ...record, shadow });
  }
}

const tensorsJson = (tensors: readonly Tensor[]) => Object.fromEntries(tensors.map((t) => [t.name, { shape: t.shape, data: tensorValues(t) }]));

function routeHints(d: Deployment, req: InferRequest): RouteRequest {
  const header = (name: string | undefined) => {
    const v = name ? req.headers?.[name] : undefined;
    return Array.isArray(v) ? v[0] : v;
  };
  const param = d.routing.stickyParameter !== undefined ? req.parameters?.[d.routing.stickyParameter] : undefined;
  const stickyKey = header(d.routing.stickyHeader) ?? (typeof param === 'string' || typeof param === 'number' ? String(param) : undefined);
  const flag = header(d.routing.flagHeader);
  return {
    ...(req.version !== undefined ? { version: req.version } : {}),
    ...(stickyKey !== undefined ? { stickyKey } : {}),
    ...(flag !== undefined && flag !== '' ? { flag } : {}),
  };
}

function selectOutputs(outputs: readonly Tensor[], names: readonly string[]): Tensor[] {
  return names.map((name, i) => {
    const t = outputs.find((o) => o.name === name);
    if (!t) throw invalid(`Invalid value for parameter 'outputs[${i}].name': the model has no output '${name}' (outputs: ${outputs.map((o) => o.name).join(', ')})`);
    return t;
  });
}

/** How long a request waits for its model's answer unless the deployment says otherwise (`batching.timeoutMs`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The model's answer, or an unavailable ModelFailure once `ms` have passed without one (the call itself is left to finish). */
function withTimeout<T>(call: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ModelFailure(`no answer from the model within ${ms} ms (the deployment's batching.timeoutMs)`, true)), ms);
  });
  return Promise.race([call, expired]).finally(() => clearTimeout(timer));
}
