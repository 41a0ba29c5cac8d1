/**
 * Explanations. Run with `npm run bench -- explain`; prints JSON.
 *
 * A 100-tree regression forest (depth 6) over 30 features, written as an ONNX TreeEnsembleRegressor and run in
 * onnxruntime the way serving runs it; explanations per second for
 * - TreeSHAP (exact, path-dependent, in process over the trees read from the ONNX graph), and
 * - Kernel SHAP (model-agnostic: each explanation runs the model on budget × background rows), at the default
 *   budget of 2048 coalitions with 50 and with 10 background rows.
 */
import { explain } from '../src/domain/explain/explain.js';
import { inlineTable } from '../src/domain/evaluation/predictions-table.js';
import { OnnxRuntime } from '../src/domain/serving/onnx-runtime.js';
import type { ExplainSpec } from '../src/domain/explain/types.js';
import { randomTrees, treeEnsembleModel } from '../test/support/onnx-models.js';

const FEATURES = 30;
const TREES = 100;

export async function runExplainBench(): Promise<unknown> {
  const model = treeEnsembleModel({ kind: 'regressor', features: FEATURES, trees: randomTrees({ seed: 1, trees: TREES, depth: 6, features: FEATURES, rows: 2000 }), hitrates: 'covers' });
  const runtime = await OnnxRuntime.load(model, { maxBatchSize: 1, maxWaitMs: 0, workers: 1 });
  let s = 7;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 10;
  };
  const columns = Object.fromEntries(Array.from({ length: FEATURES }, (_, j) => [`f${j}`, Array.from({ length: 1000 }, next)]));
  const base: ExplainSpec = { methods: [], repeats: 5, confidence: 0.95, seed: 0, rows: 20, background: 50, budget: 2048, gridResolution: 20 };
  const time = async (spec: ExplainSpec, rows: number) => {
    const started = performance.now();
    await explain({ runtime, onnx: model, table: inlineTable(columns), spec: { ...spec, rows } });
    const seconds = (performance.now() - started) / 1000;
    return { rows, seconds: Number(seconds.toFixed(3)), explanationsPerSecond: Number((rows / seconds).toFixed(2)) };
  };
  try {
    await time({ ...base, methods: ['tree_shap'] }, 10);
    const treeShap = await time({ ...base, methods: ['tree_shap'] }, 1000);
    const kernel50 = await time({ ...base, methods: ['kernel_shap'], background: 50 }, 4);
    const kernel10 = await time({ ...base, methods: ['kernel_shap'], background: 10 }, 10);
    return {
      model: { trees: TREES, depth: 6, features: FEATURES, runtime: 'onnxruntime (1 worker)' },
      treeShap,
      kernelShap: { budget: 2048, background50: kernel50, background10: kernel10 },
      ratio: Number((treeShap.explanationsPerSecond / kernel50.explanationsPerSecond).toFixed(0)),
    };
  } finally {
    await runtime.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await runExplainBench(), null, 2));
