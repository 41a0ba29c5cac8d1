import { z } from 'zod';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, notFound, orThrow } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access } from '../access/access.js';
import { inlineTable } from '../evaluation/predictions-table.js';
import type { ModelRuntime } from '../serving/model-runtime.js';
import { SERVING_ACTOR, type ModelFiles, type ModelVersionResolver, type ResolvedModelVersion } from '../serving/model-source.js';
import { onnxModelFile } from '../serving/runtime-pool.js';
import { explain } from './explain.js';
import type { ExplanationStore } from './explain.store.js';
import { readOnnxNodes } from './onnx-graph.js';
import { IMPORTANCE_METRICS } from './permutation-importance.js';
import { EXPLAIN_METHODS, type ExplainMethod, type ExplainSpec, type Explanation, type ExplanationSummary } from './types.js';

const Column = z.string().min(1).max(250);
const MAX_DATA_ROWS = 100_000;
/** Model rows Kernel SHAP may ask for in one explanation: explained rows × coalitions × background rows. */
const MAX_KERNEL_EVALUATIONS = 50_000_000;

/** POST /explanations: which model version, the data, and how to explain it. */
export const ExplainRequestSchema = z.object({
  model: z.string().min(1).max(256),
  /** A version number or an alias; the `@champion` of `churn@champion`. */
  version: z.union([z.number().int().positive(), z.string().min(1).max(256)]),
  data: z.object({
    columns: z.record(z.string(), z.array(z.unknown())),
    name: z.string().min(1).max(256).optional(),
  }).strict(),
  /** Default: Kernel SHAP and partial dependence, permutation importance when a label is given, TreeSHAP for a tree ensemble. */
  methods: z.array(z.enum(EXPLAIN_METHODS)).min(1).optional(),
  /** The data columns the model takes, in its input's order (default: every column but the label). */
  features: z.array(Column).min(1).max(1000).optional(),
  /** The true target, for permutation importance. */
  label: Column.optional(),
  /** Which model output to explain (default: the last numeric one, the probabilities of a classifier). */
  output: z.string().min(1).max(250).optional(),
  /** For a classifier: the class whose probability is explained (default: the second of two). */
  targetClass: z.string().min(1).max(250).optional(),
  metric: z.enum(IMPORTANCE_METRICS).optional(),
  repeats: z.number().int().min(2).max(100).default(5),
  confidence: z.number().gt(0).lt(1).default(0.95),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
  /** Rows explained one by one (SHAP values, waterfall, beeswarm), sampled from the data. */
  rows: z.number().int().min(1).max(1000).default(20),
  /** Background rows Kernel SHAP fills absent features from. */
  background: z.number().int().min(1).max(1000).default(50),
  /** Coalitions Kernel SHAP evaluates per row; all of them (exact values) when 2^M − 2 fit. */
  budget: z.number().int().min(2).max(1_000_000).default(2048),
  gridResolution: z.number().int().min(2).max(200).default(20),
  /** Features to draw partial dependence for (default: the five most important). */
  pdFeatures: z.array(Column).min(1).max(50).optional(),
}).strict();
export type ExplainRequest = z.output<typeof ExplainRequestSchema>;

export interface ExplainDeps {
  readonly store: ExplanationStore;
  readonly resolver: ModelVersionResolver;
  readonly files: ModelFiles;
  /** Loads a version the way serving runs it (ONNX in process, or its Python scoring process); the caller closes it. */
  readonly open: (resolved: ResolvedModelVersion) => Promise<ModelRuntime>;
  readonly access: Access;
  readonly clock: Clock;
}

const modelResource = (name: string) => ({ kind: 'registered_model' as const, id: name });

/**
 * Explanations of registered model versions. Computing one runs the model, which is using it (USE on the
 * registered model, as predicting through a deployment is); reading one needs READ on the model.
 */
export class ExplainService {
  constructor(private readonly d: ExplainDeps) {}

  async explain(actor: Actor, input: ExplainRequest, progress?: (step: string) => void): Promise<Explanation> {
    await this.d.access.require(actor, 'USE', modelResource(input.model));
    const selector = typeof input.version === 'number' || /^\d+$/.test(input.version) ? { version: String(input.version) } : { alias: input.version };
    const resolved = await this.d.resolver.resolve(actor, input.model, selector);
    const table = inlineTable(input.data.columns);
    if (table.rowCount === 0) throw invalid("Invalid value for parameter 'data.columns': the data has no rows");
    if (table.rowCount > MAX_DATA_ROWS) throw invalid(`The data has ${table.rowCount} rows; explanations take at most ${MAX_DATA_ROWS} (a sample explains as well)`);
    const file = onnxModelFile(resolved);
    const onnx = file ? await this.d.files.read(SERVING_ACTOR, resolved.artifactUri, file) : undefined;
    const methods = input.methods ?? defaultMethods(input, onnx);
    const spec: ExplainSpec = {
      methods, repeats: input.repeats, confidence: input.confidence, seed: input.seed, rows: input.rows, background: input.background,
      budget: input.budget, gridResolution: input.gridResolution,
      ...(input.features ? { features: input.features } : {}), ...(input.label ? { label: input.label } : {}),
      ...(input.output ? { output: input.output } : {}), ...(input.targetClass ? { targetClass: input.targetClass } : {}),
      ...(input.metric ? { metric: input.metric } : {}), ...(input.pdFeatures ? { pdFeatures: input.pdFeatures } : {}),
    };
    if (methods.includes('kernel_shap')) {
      const cost = Math.min(input.rows, table.rowCount) * input.budget * Math.min(input.background, table.rowCount);
      if (cost > MAX_KERNEL_EVALUATIONS) {
        throw invalid(`Kernel SHAP would run the model on ${cost} rows (rows × budget × background); the limit is ${MAX_KERNEL_EVALUATIONS}: lower one of them`);
      }
    }
    const runtime = await this.d.open(resolved);
    try {
      const result = await explain({ runtime, ...(onnx ? { onnx } : {}), table, spec, ...(progress ? { progress } : {}) });
      const explanation: Explanation = {
        id: newHexId(), model: { name: resolved.modelName, version: Number(resolved.version) }, dataName: input.data.name ?? 'inline',
        createdAt: this.d.clock.now(), createdBy: actor.userId, spec, result,
      };
      await this.d.store.create(explanation);
      return explanation;
    } finally {
      await runtime.close();
    }
  }

  async get(actor: Actor, id: string): Promise<Explanation> {
    const explanation = orThrow(await this.d.store.get(id), () => notFound(`Explanation '${id}'`));
    await this.d.access.require(actor, 'READ', modelResource(explanation.model.name));
    return explanation;
  }

  async list(actor: Actor, q: { model: string; version?: number; maxResults?: number; offset: number }): Promise<{ items: ExplanationSummary[]; nextOffset?: number }> {
    await this.d.access.require(actor, 'READ', modelResource(q.model));
    return this.d.store.list({ modelName: q.model, ...(q.version !== undefined ? { modelVersion: q.version } : {}), limit: Math.min(q.maxResults ?? 50, 1000), offset: q.offset });
  }

  /** The newest explanation of a version, for its model card; the caller has checked READ on the model. */
  latest(name: string, version: number): Promise<Explanation | undefined> {
    return this.d.store.latest(name, version);
  }
}

function defaultMethods(input: ExplainRequest, onnx: Uint8Array | undefined): ExplainMethod[] {
  const methods: ExplainMethod[] = [];
  if (input.label) methods.push('permutation');
  methods.push('kernel_shap');
  if (onnx) {
    try {
      if (readOnnxNodes(onnx).some((n) => n.opType === 'TreeEnsembleRegressor' || n.opType === 'TreeEnsembleClassifier')) methods.push('tree_shap');
    } catch {
      // An unreadable graph still runs in onnxruntime; the model-agnostic methods explain it.
    }
  }
  methods.push('partial_dependence');
  return methods;
}
