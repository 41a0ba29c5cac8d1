/**
 * One explanation run: the data's feature matrix, a prediction function over whatever runs the model
 * (onnxruntime, a Python scoring process — the same runtimes serving uses), and the methods asked for.
 */
import { invalid } from '../../core/errors.js';
import { createRng } from '../evaluation/bootstrap.js';
import { numberColumn, asText } from '../evaluation/evaluation-input.js';
import type { PredictionsTable } from '../evaluation/predictions-table.js';
import type { ModelRuntime } from '../serving/model-runtime.js';
import { allocate, type Tensor, type TensorSpec } from '../serving/tensor.js';
import { kernelShap, type Predict } from './kernel-shap.js';
import { readOnnxNodes } from './onnx-graph.js';
import { partialDependence } from './partial-dependence.js';
import { permutationImportance, type ImportanceMetric } from './permutation-importance.js';
import { coversFromData, findTreeEnsemble, rawScore, type TreeEnsemble } from './tree-ensemble.js';
import { treeShap } from './tree-shap.js';
import type { Attributions, ExplainSpec, ExplanationResult, GlobalAttribution, TreeShapResult } from './types.js';

/** Rows per model call: big enough to amortise a call, small enough to keep a call's tensors in tens of MB. */
const CHUNK_ROWS = 32_768;

interface ModelInputs {
  readonly features: string[];
  /** Builds the model's input tensors for `count` rows of the row-major matrix. */
  tensors(rows: Float64Array, count: number): Tensor[];
  /** FP32 inputs: the model sees the data rounded to float32, and so must anything that mimics it. */
  readonly float32: boolean;
}

function fill(spec: TensorSpec, values: Float64Array | ((i: number) => number), length: number): Tensor['data'] {
  const out = allocate(spec.datatype, length);
  const at = typeof values === 'function' ? values : (i: number) => values[i]!;
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) for (let i = 0; i < length; i++) out[i] = BigInt(Math.round(at(i)));
  else if (Array.isArray(out)) throw invalid(`Model input '${spec.name}' takes text; explanations perturb numeric features only`);
  else for (let i = 0; i < length; i++) (out as Float64Array)[i] = at(i);
  return out;
}

/** How data columns map onto the model's inputs: one 2-D input of M features, or one input per column. */
function modelInputs(inputs: readonly TensorSpec[], columns: readonly string[], spec: ExplainSpec): ModelInputs {
  if (inputs.length === 0) throw invalid('The model declares no inputs (log it with a signature) so its features cannot be matched to the data');
  if (inputs.length === 1 && inputs[0]!.shape.length === 2) {
    const input = inputs[0]!;
    const width = input.shape[1]!;
    const features = spec.features ?? columns.filter((c) => c !== spec.label);
    if (width > 0 && features.length !== width) {
      throw invalid(`The model's input '${input.name}' takes ${width} features but ${features.length} columns were given (${features.slice(0, 10).join(', ')}${features.length > 10 ? ', …' : ''}); name them in order with 'features'`);
    }
    return {
      features,
      float32: input.datatype === 'FP32',
      tensors: (rows, count) => [{ name: input.name, datatype: input.datatype, shape: [count, features.length], data: fill(input, rows, count * features.length) }],
    };
  }
  const bad = inputs.find((i) => !(i.shape.length === 1 || (i.shape.length === 2 && i.shape[1] === 1)));
  if (bad) throw invalid(`Model input '${bad.name}' has shape [${bad.shape.join(', ')}]; explanations need one 2-D input of features or one input per column`);
  const features = inputs.map((i) => i.name);
  if (spec.features && spec.features.join('\u0000') !== features.join('\u0000')) {
    throw invalid(`The model's inputs are the columns ${features.join(', ')}; 'features' must name them in that order or be left out`);
  }
  const m = features.length;
  return {
    features,
    float32: inputs.every((i) => i.datatype === 'FP32'),
    tensors: (rows, count) => inputs.map((input, j) => ({
      name: input.name, datatype: input.datatype, shape: input.shape.length === 1 ? [count] : [count, 1], data: fill(input, (i) => rows[i * m + j]!, count),
    })),
  };
}

/** Which output, and which column of it, is "the prediction" being explained. */
interface OutputChoice {
  readonly name: string;
  readonly column: number;
  readonly columns: number;
  readonly className?: string;
}

function chooseOutput(outputs: readonly Tensor[], spec: ExplainSpec, classes: readonly string[] | undefined): OutputChoice {
  const numeric = outputs.filter((o) => o.datatype === 'FP32' || o.datatype === 'FP64');
  const chosen = spec.output ? outputs.find((o) => o.name === spec.output) : numeric[numeric.length - 1];
  if (!chosen) {
    throw invalid(spec.output
      ? `The model has no output '${spec.output}' (outputs: ${outputs.map((o) => o.name).join(', ')})`
      : `The model has no numeric output to explain (outputs: ${outputs.map((o) => `${o.name} ${o.datatype}`).join(', ')})`);
  }
  if (chosen.datatype === 'BYTES') throw invalid(`Output '${chosen.name}' is text; explain a numeric output (a score or probability)`);
  const columns = chosen.shape.length >= 2 ? chosen.shape[chosen.shape.length - 1]! : 1;
  if (columns <= 1) return { name: chosen.name, column: 0, columns: 1 };
  let column: number;
  if (spec.targetClass !== undefined) {
    const byLabel = classes?.indexOf(spec.targetClass) ?? -1;
    column = byLabel >= 0 ? byLabel : /^\d+$/.test(spec.targetClass) && Number(spec.targetClass) < columns ? Number(spec.targetClass) : -1;
    if (column < 0) throw invalid(`Invalid value for parameter 'targetClass': '${spec.targetClass}' is not one of the classes (${(classes ?? Array.from({ length: columns }, (_, i) => String(i))).join(', ')})`);
  } else if (columns === 2) {
    column = 1;
  } else {
    throw invalid(`Output '${chosen.name}' has ${columns} columns (one per class); name the class to explain with 'targetClass'`);
  }
  return { name: chosen.name, column, columns, className: classes?.[column] ?? String(column) };
}

function sample(n: number, k: number, random: () => number): number[] {
  const index = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(n, k);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (n - i));
    [index[i], index[j]] = [index[j]!, index[i]!];
  }
  return index.slice(0, take).sort((a, b) => a - b);
}

function gather(data: Float64Array, m: number, rows: readonly number[]): Float64Array {
  const out = new Float64Array(rows.length * m);
  rows.forEach((r, i) => out.set(data.subarray(r * m, (r + 1) * m), i * m));
  return out;
}

function toMatrix(data: Float64Array, count: number, m: number): number[][] {
  return Array.from({ length: count }, (_, r) => Array.from(data.subarray(r * m, (r + 1) * m)));
}

function globalOf(features: readonly string[], values: readonly (readonly number[])[]): GlobalAttribution[] {
  return features.map((feature, j) => ({ feature, meanAbs: values.reduce((s, row) => s + Math.abs(row[j]!), 0) / Math.max(1, values.length) }));
}

export interface ExplainInput {
  readonly runtime: ModelRuntime;
  /** The ONNX model's bytes, when it is one: TreeSHAP reads its tree ensemble. */
  readonly onnx?: Uint8Array;
  readonly table: PredictionsTable;
  readonly spec: ExplainSpec;
  /** Called as each method finishes (the CLI's progress). */
  readonly progress?: (step: string) => void;
}

export async function explain(input: ExplainInput): Promise<ExplanationResult> {
  const { runtime, table, spec } = input;
  const notes: string[] = [];
  const n = table.rowCount;
  if (n === 0) throw invalid('The data has no rows');
  const inputs = modelInputs(runtime.metadata.inputs, table.columnNames, spec);
  const { features } = inputs;
  const m = features.length;
  if (m === 0) throw invalid('No features to explain');
  const data = new Float64Array(n * m);
  for (let j = 0; j < m; j++) {
    const column = await numberColumn(table, features[j]!, 'a model feature');
    for (let i = 0; i < n; i++) data[i * m + j] = inputs.float32 ? Math.fround(column[i]!) : column[i]!;
  }

  let ensemble: TreeEnsemble | undefined;
  let treeProblem: string | undefined;
  if (input.onnx) {
    try {
      const nodes = readOnnxNodes(input.onnx);
      ensemble = findTreeEnsemble(nodes);
      const graphInput = runtime.metadata.inputs[0]?.name;
      const node = nodes.find((x) => x.opType.startsWith('TreeEnsemble'));
      if (ensemble && node && (runtime.metadata.inputs.length !== 1 || node.inputs[0] !== graphInput)) {
        treeProblem = `the tree ensemble reads '${node.inputs[0]}', not the model input '${graphInput}' (the graph transforms the features first)`;
      }
    } catch (err) {
      treeProblem = (err as Error).message;
    }
  } else if (spec.methods.includes('tree_shap')) {
    treeProblem = 'the model is not ONNX';
  }

  // One probe call tells which output is the prediction.
  const probe = await runtime.infer(inputs.tensors(data.subarray(0, m), 1));
  const choice = chooseOutput(probe, spec, ensemble?.classes);
  const predict: Predict = async (rows, count) => {
    const out = new Float64Array(count);
    for (let start = 0; start < count; start += CHUNK_ROWS) {
      const k = Math.min(CHUNK_ROWS, count - start);
      const outputs = await runtime.infer(inputs.tensors(rows.subarray(start * m, (start + k) * m), k));
      const o = outputs.find((t) => t.name === choice.name);
      if (!o) throw invalid(`The model's answer has no output '${choice.name}'`);
      const values = o.data as ArrayLike<number>;
      for (let i = 0; i < k; i++) out[start + i] = Number(values[i * choice.columns + choice.column]);
    }
    return out;
  };

  const random = createRng(spec.seed);
  const explained = sample(n, spec.rows, random);
  const explainedData = gather(data, m, explained);
  const predictions = Array.from(await predict(explainedData, explained.length));
  const result: { -readonly [K in keyof ExplanationResult]: ExplanationResult[K] } = {
    features, output: { name: choice.name, ...(choice.columns > 1 ? { column: choice.column, class: choice.className! } : {}) },
    dataRows: n, rows: explained, data: toMatrix(explainedData, explained.length, m), predictions, notes,
  };

  if (spec.methods.includes('permutation')) {
    if (!spec.label) throw invalid("Permutation importance needs the true target: give 'label', the column holding it");
    let y: Float64Array;
    let metric: ImportanceMetric;
    if (choice.columns > 1) {
      const text = asText(await table.column(spec.label));
      const positive = choice.className!;
      y = Float64Array.from(text.codes, (c) => (c >= 0 && text.dictionary[c] === positive ? 1 : 0));
      metric = spec.metric ?? 'roc_auc';
      notes.push(`Permutation importance scores P(class ${positive}) against '${spec.label}' = ${positive} (one against the rest).`);
    } else {
      y = await numberColumn(table, spec.label, 'the true target');
      metric = spec.metric ?? 'r2';
    }
    result.permutation = await permutationImportance(predict, data, n, features, y, { metric, repeats: spec.repeats, confidence: spec.confidence, random });
    input.progress?.('permutation importance');
  }

  if (spec.methods.includes('kernel_shap')) {
    const backgroundRows = sample(n, spec.background, random);
    const ks = await kernelShap(predict, explainedData, explained.length, gather(data, m, backgroundRows), backgroundRows.length, m, { budget: spec.budget, random });
    const values = ks.rows.map((r) => Array.from(r.values));
    result.kernelShap = {
      ...attributions(features, values, ks.expected, ks.rows.map((r) => r.prediction)),
      exact: ks.exact, coalitions: ks.coalitions, backgroundRows: backgroundRows.length, budget: spec.budget,
    };
    if (!ks.exact) notes.push(`Kernel SHAP sampled ${ks.coalitions} of the 2^${m} − 2 coalitions; raise the budget for tighter values.`);
    input.progress?.('Kernel SHAP');
  }

  if (spec.methods.includes('tree_shap')) {
    if (!ensemble || treeProblem) throw invalid(`TreeSHAP needs an ONNX TreeEnsembleRegressor or TreeEnsembleClassifier: ${treeProblem ?? 'the model has none'}`);
    result.treeShap = treeShapOf(ensemble, choice, data, n, m, explainedData, explained.length, features, predictions, notes);
    input.progress?.('TreeSHAP');
  }

  if (spec.methods.includes('partial_dependence')) {
    const named = spec.pdFeatures ?? topFeatures(result, 5);
    const pdRows = sample(n, 1000, random);
    const pdData = gather(data, m, pdRows);
    result.partialDependence = [];
    for (const name of named) {
      const j = features.indexOf(name);
      if (j < 0) throw invalid(`Invalid value for parameter 'pdFeatures': '${name}' is not a feature (features: ${features.join(', ')})`);
      result.partialDependence.push(await partialDependence(predict, pdData, pdRows.length, m, j, name, spec.gridResolution));
    }
    input.progress?.('partial dependence');
  }
  return result;
}

function attributions(features: readonly string[], values: number[][], expected: number, predictions: readonly number[]): Attributions {
  let additivityError = 0;
  values.forEach((row, r) => {
    additivityError = Math.max(additivityError, Math.abs(row.reduce((a, b) => a + b, 0) - (predictions[r]! - expected)));
  });
  return { expectedValue: expected, values, global: globalOf(features, values), additivityError };
}

/** The features ranked by the first global measure available. */
function topFeatures(result: ExplanationResult, k: number): string[] {
  const ranked = result.treeShap?.global ?? result.kernelShap?.global
    ?? result.permutation?.importances.map((i) => ({ feature: i.feature, meanAbs: i.mean }));
  if (!ranked) return result.features.slice(0, k);
  return [...ranked].sort((a, b) => b.meanAbs - a.meanAbs).slice(0, k).map((g) => g.feature);
}

function treeShapOf(
  ensemble: TreeEnsemble, choice: OutputChoice, data: Float64Array, n: number, m: number,
  rows: Float64Array, count: number, features: readonly string[], modelOutputs: readonly number[], notes: string[],
): TreeShapResult {
  if (ensemble.features > m) throw invalid(`The tree ensemble splits on feature ${ensemble.features - 1} but the model input has ${m} features`);
  let target = choice.column;
  if (ensemble.binarySingleScore) {
    if (choice.column !== 1) throw invalid('This binary tree classifier scores only its second class; explain that one (targetClass = the second class)');
    target = 0;
  }
  if (target >= ensemble.targets) throw invalid(`The tree ensemble has ${ensemble.targets} outputs; column ${target} is not one of them`);
  const covers = ensemble.coversFromModel ? 'model' : 'data';
  if (!ensemble.coversFromModel) {
    coversFromData(ensemble, data, n, m);
    notes.push(`The ONNX file has no node covers (hit rates); TreeSHAP weighs unseen features by how the ${n} data rows split at each node.`);
  }
  const values: number[][] = [];
  const raw: number[] = [];
  let expected = 0;
  for (let r = 0; r < count; r++) {
    const phi = new Float64Array(m);
    expected = treeShap(ensemble, target, rows, r * m, phi);
    values.push(Array.from(phi));
    raw.push(rawScore(ensemble, target, rows, r * m));
  }
  const space = ensemble.postTransform === 'NONE' ? 'output' : 'margin';
  if (space === 'margin') notes.push(`The ensemble applies ${ensemble.postTransform} after the trees; TreeSHAP attributes the raw margin before it, which is additive.`);
  else {
    const worst = raw.reduce((w, v, r) => Math.max(w, Math.abs(v - modelOutputs[r]!)), 0);
    if (worst > 1e-4 * Math.max(1, ...raw.map(Math.abs))) notes.push(`The model's output differs from the trees' sum by up to ${worst.toPrecision(3)}: the graph does more after the ensemble.`);
  }
  return { ...attributions(features, values, expected, raw), space, postTransform: ensemble.postTransform, covers, trees: ensemble.trees.length, predictions: raw };
}
