import type { Clock } from '../../core/clock.js';
import type { Access } from '../access/access.js';
import { DeploymentService, type FigureSource, type LineageSink } from './deployment.service.js';
import { DeploymentCache, InferenceService } from './inference.service.js';
import type { ModelFiles, ModelVersionResolver } from './model-source.js';
import { OnnxRuntime } from './onnx-runtime.js';
import { PredictionLogger } from './prediction-logger.js';
import { RuntimePool, type PythonSettings } from './runtime-pool.js';
import type { ServingStore } from './serving.store.js';
import { ServingMetrics } from './serving-metrics.js';
import { ServingStats } from './serving-stats.js';
import type { PredictionRecord } from './types.js';

export interface ServingOptions {
  readonly store: ServingStore;
  readonly resolver: ModelVersionResolver;
  readonly files: ModelFiles;
  readonly access: Access;
  readonly clock: Clock;
  readonly figures?: FigureSource;
  /** Draws for traffic splits and log sampling; seeded in tests. */
  readonly random?: () => number;
  /** How stale a replica's view of a deployment may be (ms). */
  readonly refreshMs?: number;
  /** How often the rollout controller runs; 0 leaves it to explicit `tick()` calls (tests). */
  readonly controllerIntervalMs?: number;
  readonly predictionQueueCapacity?: number;
  /** How often logged predictions are written; 0 leaves it to explicit `predictionLog.flush()` calls (tests). */
  readonly predictionFlushMs?: number;
  /** How models without an ONNX flavor are served (Python scoring processes). */
  readonly python?: PythonSettings;
  /** Logged predictions go on to the model's monitors through this. */
  readonly forwardPredictions?: (records: readonly PredictionRecord[]) => Promise<void>;
  /** Deployments and rollout events go into the lineage graph through this (platform edges). */
  readonly lineage?: LineageSink;
}

export interface Serving {
  readonly deployments: DeploymentService;
  readonly inference: InferenceService;
  readonly metrics: ServingMetrics;
  readonly predictionLog: PredictionLogger;
  readonly stats: ServingStats;
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

/** The serving module wired together: one per process, with its background loops (stats, prediction log, rollout controller). */
export function createServing(o: ServingOptions): Serving {
  const metrics = new ServingMetrics();
  const stats = new ServingStats(o.store, o.clock);
  const predictionLog = new PredictionLogger(o.store, metrics, o.predictionQueueCapacity, o.forwardPredictions);
  const runtimes = new RuntimePool(o.resolver, o.files, o.python);
  runtimes.onLoaded = (deployment, version, runtime) => {
    if (runtime instanceof OnnxRuntime) runtime.onBatch = (rows) => metrics.batchSize.observe({ deployment, version }, rows);
  };
  runtimes.onRestart = (deployment, version) => metrics.runtimeRestarts.inc({ deployment, version });
  const cache = new DeploymentCache(o.store, o.refreshMs);
  const deployments = new DeploymentService(o.store, o.resolver, runtimes, cache, stats, metrics, o.access, o.clock, o.figures, o.lineage);
  const inference = new InferenceService(cache, runtimes, stats, metrics, predictionLog, o.access, o.clock, o.random);

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, fn: () => Promise<unknown>) => {
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      fn().catch(() => undefined).finally(() => (running = false));
    }, ms);
    t.unref();
    timers.push(t);
  };
  // Errors in background passes are retried on the next pass: a busy database must not stop serving.
  every(1000, () => stats.flush());
  if ((o.predictionFlushMs ?? 250) > 0) predictionLog.start(o.predictionFlushMs ?? 250);
  if ((o.controllerIntervalMs ?? 5000) > 0) {
    let prunedAt = 0;
    every(o.controllerIntervalMs ?? 5000, async () => {
      await deployments.tick();
      // Another replica may have promoted or rolled back: unload what no deployment serves any more.
      await deployments.retainLoaded();
      // Rollout analysis reads minutes to hours back; a week of samples is plenty, and pruning hourly is enough.
      if (o.clock.now() - prunedAt > HOUR_MS) {
        prunedAt = o.clock.now();
        await o.store.pruneMetricSamples(prunedAt - 7 * 24 * HOUR_MS);
      }
    });
  }

  return {
    deployments, inference, metrics, predictionLog, stats,
    close: async () => {
      for (const t of timers) clearInterval(t);
      await Promise.allSettled([stats.flush(), predictionLog.stop()]);
      await runtimes.close();
    },
  };
}
