/**
 * `npm run bench [-- tracking artifacts] [--no-s3] [--peer=URL] [--serving-peer=URL] …`: the named benchmarks (all by default),
 * one after the other, printed as one JSON object keyed by name. Flags go to the benchmarks that know them.
 */
import { runArtifactsBench } from './artifacts.js';
import { runCostBench } from './cost.js';
import { datasetsBenchOptionsFromArgs, runDatasetsBench } from './datasets.js';
import { runEvaluationBench } from './evaluation.js';
import { runExplainBench } from './explain.js';
import { featuresBenchOptionsFromArgs, runFeaturesBench } from './features.js';
import { runGovernanceBench } from './governance.js';
import { runLlmopsBench } from './llmops.js';
import { runMonitoringBench } from './monitoring.js';
import { runPipelinesBench } from './pipelines.js';
import { registryBenchOptionsFromArgs, runRegistryBench } from './registry.js';
import { runReviewItemsBench } from './review-items.js';
import { runServingBench } from './serving.js';
import { runSweepsBench } from './sweeps.js';
import { runTrackingBench, trackingBenchOptionsFromArgs } from './tracking.js';
import { runUiBench, uiBenchOptionsFromArgs } from './ui.js';
import { profileUiRequests } from './ui-profile.js';

const args = process.argv.slice(2);
const benches: Record<string, () => Promise<unknown>> = {
  tracking: () => runTrackingBench(trackingBenchOptionsFromArgs(args)),
  artifacts: () => runArtifactsBench({ s3: !args.includes('--no-s3') }),
  monitoring: () => runMonitoringBench({ peer: !args.includes('--no-peer') }),
  evaluation: () => runEvaluationBench({ peer: !args.includes('--no-peer') }),
  registry: () => runRegistryBench(registryBenchOptionsFromArgs(args)),
  serving: () => runServingBench({ ...(args.find((a) => a.startsWith('--serving-peer=')) ? { peerUrl: args.find((a) => a.startsWith('--serving-peer='))!.slice('--serving-peer='.length) } : {}) }),
  ui: () => runUiBench(uiBenchOptionsFromArgs(args)),
  'ui-profile': () => profileUiRequests(),
  datasets: () => runDatasetsBench(datasetsBenchOptionsFromArgs(args)),
  governance: () => runGovernanceBench(),
  pipelines: () => runPipelinesBench(),
  sweeps: () => runSweepsBench(),
  features: () => runFeaturesBench(featuresBenchOptionsFromArgs(args)),
  llmops: () => runLlmopsBench(),
  explain: () => runExplainBench(),
  cost: () => runCostBench(),
  review: () => runReviewItemsBench(),
};

const named = args.filter((a) => !a.startsWith('--'));
const unknown = named.filter((n) => !(n in benches));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}

const results: Record<string, unknown> = {};
for (const name of named.length > 0 ? named : Object.keys(benches)) {
  const bench = benches[name];
  if (bench) results[name] = await bench();
}
console.log(JSON.stringify(results, null, 2));
