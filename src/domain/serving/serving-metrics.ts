import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Prometheus series per deployment and version; the HTTP layer registers them with the `/metrics` registry. */
export class ServingMetrics {
  readonly requests = new Counter({
    name: 'openexpert_serving_requests_total',
    help: 'Inference requests by deployment, version and outcome (ok, error); mirrored shadow requests included',
    labelNames: ['deployment', 'version', 'outcome'] as const,
    registers: [],
  });
  readonly latency = new Histogram({
    name: 'openexpert_serving_inference_duration_seconds',
    help: 'Inference latency by deployment and version, queueing and batching included',
    labelNames: ['deployment', 'version'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [],
  });
  readonly batchSize = new Histogram({
    name: 'openexpert_serving_batch_size',
    help: 'Rows per onnxruntime call, by deployment and version (micro-batching stacks requests)',
    labelNames: ['deployment', 'version'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [],
  });
  readonly comparisons = new Counter({
    name: 'openexpert_serving_shadow_comparisons_total',
    help: 'Shadow requests whose candidate output was compared with the stable one, by result (match, mismatch)',
    labelNames: ['deployment', 'version', 'result'] as const,
    registers: [],
  });
  readonly fallbacks = new Counter({
    name: 'openexpert_serving_fallbacks_total',
    help: 'Requests the candidate failed and the stable version answered instead',
    labelNames: ['deployment', 'version'] as const,
    registers: [],
  });
  readonly predictionsDropped = new Counter({
    name: 'openexpert_serving_prediction_log_dropped_total',
    help: 'Sampled predictions not logged because the log queue was full or the write failed',
    labelNames: ['deployment'] as const,
    registers: [],
  });
  readonly monitorForwardFailures = new Counter({
    name: 'openexpert_serving_monitor_forward_failures_total',
    help: 'Batches of logged predictions the model monitors did not accept (kept in the prediction log all the same)',
    registers: [],
  });
  readonly candidateWeight = new Gauge({
    name: 'openexpert_serving_candidate_weight_percent',
    help: 'Share of traffic the candidate gets (served for canary, mirrored for shadow and for blue-green before it switches)',
    labelNames: ['deployment'] as const,
    registers: [],
  });
  readonly rollbacks = new Counter({
    name: 'openexpert_serving_rollbacks_total',
    help: 'Rollouts rolled back, by deployment and trigger (analysis, manual)',
    labelNames: ['deployment', 'trigger'] as const,
    registers: [],
  });

  readonly runtimeRestarts = new Counter({
    name: 'openexpert_serving_runtime_restarts_total',
    help: 'Model processes that died (a native crash, killed) and were started again, by deployment and version',
    labelNames: ['deployment', 'version'] as const,
    registers: [],
  });

  registerInto(registry: Registry): void {
    for (const m of [this.runtimeRestarts, this.requests, this.latency, this.batchSize, this.comparisons, this.fallbacks, this.predictionsDropped, this.monitorForwardFailures, this.candidateWeight, this.rollbacks]) {
      registry.registerMetric(m);
    }
  }
}
