import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, invalidState, isDomainError, notFound, orThrow, type DomainError } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access, Permission, Resource } from '../access/access.js';
import { artifactPathOf, joinArtifactPath } from '../artifacts/artifact-uri.js';
import type { Explanation } from '../explain/types.js';
import type { ModelVersion, RegisteredModel, TransitionRecord } from '../registry/types.js';
import type { Batch, DatasetInput, Run } from '../tracking/types.js';
import { compareModels } from './compare.js';
import { evaluatePredictions } from './evaluate.js';
import type { EvaluationStore, FlatMetric } from './evaluation.store.js';
import { buildModelCard, renderCardHtml, renderCardMarkdown, type ModelCard } from './model-card.js';
import { inlineTable, openPredictionsFile, type PredictionsTable } from './predictions-table.js';
import { renderEvaluationHtml } from './report-html.js';
import { BaselineColumnsSchema, EvaluationSpecSchema } from './schemas.js';
import {
  CARD_FIELDS, type CardFields, type Comparison, type DatasetRef, type Evaluation, type EvaluationResult, type EvaluationSummary, type ModelRef,
} from './types.js';

export interface RunPort {
  get(actor: Actor, runId: string): Promise<Run>;
  logBatch(actor: Actor, runId: string, batch: Batch): Promise<void>;
  logInputs(actor: Actor, runId: string, inputs: readonly DatasetInput[]): Promise<void>;
}

export interface ArtifactPort {
  upload(actor: Actor, path: string, body: Readable, contentLength?: number): Promise<unknown>;
  download(actor: Actor, path: string): Promise<{ body: Readable; size: number; sha256?: string }>;
  delete(actor: Actor, path: string): Promise<void>;
}

export interface ModelPort {
  getModelVersion(actor: Actor, name: string, version: string | number): Promise<ModelVersion>;
  getRegisteredModel(actor: Actor, name: string): Promise<RegisteredModel>;
}

export type HistoryPort = (actor: Actor, name: string, version: number) => Promise<TransitionRecord[]>;

/** Versioned datasets as the evaluation reads them, and the lineage graph it adds its edges to. */
export interface DatasetPort {
  get(actor: Actor, ref: { name: string; ref?: string }): Promise<{ id: string; name: string; version: number; digest: string; files: readonly { path: string }[] }>;
  readFile(actor: Actor, input: { ref: { name: string; ref?: string }; path: string }): Promise<Uint8Array>;
  recordLineage(actor: Actor, edges: readonly { from: LineageNode; to: LineageNode; relation: string }[]): Promise<void>;
}

interface LineageNode {
  readonly kind: string;
  readonly id: string;
}

const TABULAR = /\.(parquet|csv|tsv|jsonl|ndjson|json)$/i;

const ModelRefSchema = z.object({
  name: z.string().min(1).max(256),
  version: z.union([z.number().int().positive(), z.string().regex(/^\d{1,9}$/, 'must be a version number').transform(Number)]),
}).strict();

const DataSchema = z.union([
  z.object({ columns: z.record(z.string(), z.array(z.unknown())), name: z.string().min(1).max(256).optional() }).strict(),
  z.object({ artifactPath: z.string().min(1).max(1000), name: z.string().min(1).max(256).optional() }).strict(),
  /** A dataset version, `name@3`, `name@label` or `name` (the latest); `file` picks one of its tabular files. */
  z.object({ dataset: z.string().min(1).max(600), file: z.string().min(1).optional(), name: z.string().min(1).max(256).optional() }).strict(),
]);

const Common = {
  name: z.string().min(1).max(256).optional(),
  runId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a run id').optional(),
  data: DataSchema,
};

/** POST /evaluations: the spec plus where the rows are and what they evaluate. */
export const EvaluateRequestSchema = EvaluationSpecSchema.extend({
  ...Common,
  model: ModelRefSchema.optional(),
  /** Prefix of the metric keys logged to the run, e.g. `test_` when a run is evaluated on several sets. */
  metricPrefix: z.string().max(100).regex(/^[\w.\- /:]*$/, 'may hold letters, digits, _ - . / : and spaces').default(''),
  logToRun: z.boolean().default(true),
});

/** POST /comparisons: the candidate's columns are the spec's, the baseline's are `baselineColumns`. */
export const CompareRequestSchema = EvaluationSpecSchema.extend({
  ...Common,
  candidate: ModelRefSchema.optional(),
  baseline: ModelRefSchema.optional(),
  baselineColumns: BaselineColumnsSchema,
});

export const CardFieldsSchema = z.object(Object.fromEntries(CARD_FIELDS.map((f) => [f, z.string().max(20_000).optional()]))).strict();

interface Opened {
  readonly table: PredictionsTable;
  readonly dataset: DatasetRef;
  /** The dataset version's id in the lineage graph, when the rows are one. */
  readonly lineageId?: string;
  cleanup(): Promise<void>;
}

export interface ListInput {
  readonly runId?: string;
  readonly modelName?: string;
  readonly modelVersion?: number;
  readonly dataset?: string;
  readonly maxResults?: number;
  readonly offset?: number;
}

function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw invalid(`Invalid value for parameter '${issue.path.map(String).join('.') || 'body'}': ${issue.message}`);
}

const METRIC_KEY = /[^\w.\- /:]/g;
const metricKey = (s: string) => s.replace(METRIC_KEY, '_').slice(0, 250);

/** Overall metrics and, per single sensitive attribute, the fairness summaries: what goes to the run and to the metrics table. */
export function flattenMetrics(result: EvaluationResult): FlatMetric[] {
  const out: FlatMetric[] = [];
  for (const [key, e] of Object.entries(result.metrics)) {
    if (e.value !== null) out.push({ key, value: e.value, ...(e.ci ? { ciLower: e.ci.lower, ciUpper: e.ci.upper } : {}) });
  }
  for (const a of result.fairness?.attributes ?? []) {
    if (a.columns.length !== 1) continue;
    for (const [convention, metrics] of [['fairlearn', a.fairlearn], ['aif360', a.aif360]] as const) {
      for (const [key, e] of Object.entries(metrics ?? {})) {
        if (e.value !== null) out.push({ key: metricKey(`fairness_${a.attribute}_${convention}_${key}`), value: e.value, ...(e.ci ? { ciLower: e.ci.lower, ciUpper: e.ci.upper } : {}) });
      }
    }
  }
  return out;
}

/**
 * Evaluations, comparisons and model cards. An evaluation reads its rows (inline or an artifact), computes
 * the metric set, is stored linked to its run and model version, and is logged to the run as MLflow
 * metrics, an evaluation dataset input and JSON + HTML report artifacts.
 */
export class EvaluationService {
  constructor(
    private readonly store: EvaluationStore,
    private readonly runs: RunPort,
    private readonly artifacts: ArtifactPort,
    private readonly models: ModelPort,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly history?: HistoryPort,
    private readonly datasets?: DatasetPort,
  ) {}

  /** The resource an evaluation belongs to: its model, else its run's experiment, else the server. */
  private async resourceOf(model: ModelRef | undefined, run: Run | undefined): Promise<Resource> {
    if (model) return { kind: 'registered_model', id: model.name };
    if (run) return { kind: 'experiment', id: run.info.experimentId };
    return { kind: 'server' };
  }

  private async linked(actor: Actor, permission: Permission, input: { runId?: string; model?: ModelRef }) {
    const version = input.model ? await this.models.getModelVersion(actor, input.model.name, input.model.version) : undefined;
    const runId = input.runId ?? version?.runId;
    const run = runId ? await this.runs.get(actor, runId) : undefined;
    await this.access.require(actor, permission, await this.resourceOf(input.model, run));
    if (run && permission === 'EDIT' && run.info.lifecycleStage !== 'active') throw invalidState(`The run ${run.info.runId} must be in the 'active' state. Current state is ${run.info.lifecycleStage}.`);
    return { version, run };
  }

  /** Opens the rows; the caller closes the table. Artifact paths may be relative to the run's artifact directory. */
  private async open(actor: Actor, data: z.output<typeof DataSchema>, run: Run | undefined, name: string | undefined): Promise<Opened> {
    if ('dataset' in data) return this.openDatasetVersion(actor, data, name);
    if ('columns' in data) {
      const table = inlineTable(data.columns);
      const digest = createHash('sha256').update(JSON.stringify(data.columns)).digest('hex');
      return { table, dataset: { name: data.name ?? name ?? 'inline', digest, source: 'inline', rows: table.rowCount }, cleanup: async () => {} };
    }
    const artifactPath = /^\d+\//.test(data.artifactPath) || !run ? data.artifactPath : joinArtifactPath(artifactPathOf(run.info.artifactUri), data.artifactPath);
    const file = await this.artifacts.download(actor, artifactPath);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oe-eval-'));
    const local = path.join(dir, path.basename(artifactPath));
    const hash = createHash('sha256');
    try {
      await pipeline(file.body, new Transform({ transform: (chunk: Buffer, _enc, done) => { hash.update(chunk); done(null, chunk); } }), createWriteStream(local));
      const table = await openPredictionsFile(local, artifactPath);
      const dataset = { name: data.name ?? path.basename(artifactPath), digest: hash.digest('hex'), source: artifactPath, rows: table.rowCount };
      return { table, dataset, cleanup: () => rm(dir, { recursive: true, force: true }) };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private async openDatasetVersion(actor: Actor, data: { dataset: string; file?: string | undefined; name?: string | undefined }, name: string | undefined): Promise<Opened> {
    if (!this.datasets) throw invalid("Invalid value for parameter 'data.dataset': this server has no dataset registry");
    const at = data.dataset.lastIndexOf('@');
    const ref = at < 0 ? { name: data.dataset } : { name: data.dataset.slice(0, at), ref: data.dataset.slice(at + 1) };
    const version = await this.datasets.get(actor, ref);
    const file = data.file ?? version.files.map((f) => f.path).filter((f) => TABULAR.test(f)).sort()[0];
    if (!file || !version.files.some((f) => f.path === file)) {
      throw invalid(`Invalid value for parameter 'data.file': dataset version '${version.name}@${version.version}' has no ${data.file ? `file '${data.file}'` : 'CSV, Parquet or JSON file'}`);
    }
    const bytes = await this.datasets.readFile(actor, { ref: { name: version.name, ref: String(version.version) }, path: file });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'oe-eval-'));
    const cleanup = () => rm(dir, { recursive: true, force: true });
    try {
      const local = path.join(dir, path.basename(file));
      await writeFile(local, bytes);
      const label = `${version.name}@${version.version}/${file}`;
      const table = await openPredictionsFile(local, label);
      return { table, dataset: { name: data.name ?? name ?? `${version.name}@${version.version}`, digest: version.digest, source: `dataset:${label}`, rows: table.rowCount }, lineageId: version.id, cleanup };
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  /** Dataset version → evaluation → model version, in the lineage graph. */
  private async recordLineage(actor: Actor, e: Evaluation, datasetVersionId: string | undefined): Promise<void> {
    if (!this.datasets) return;
    const node = { kind: 'evaluation', id: e.id };
    const edges = [
      ...(datasetVersionId ? [{ from: { kind: 'dataset_version', id: datasetVersionId }, to: node, relation: 'consumed' }] : []),
      ...(e.model ? [{ from: node, to: { kind: 'model_version', id: `${e.model.name}/${e.model.version}` }, relation: 'validated' }] : []),
      ...(e.runId ? [{ from: { kind: 'run', id: e.runId }, to: node, relation: 'produced' }] : []),
    ];
    if (edges.length) await this.datasets.recordLineage(actor, edges);
  }

  async evaluate(actor: Actor, body: unknown): Promise<Evaluation> {
    const input = parseInput(EvaluateRequestSchema, body);
    const { data, name, runId, model, metricPrefix, logToRun, ...spec } = input;
    const { run } = await this.linked(actor, 'EDIT', { ...(runId ? { runId } : {}), ...(model ? { model } : {}) });
    const opened = await this.open(actor, data, run, name);
    let result: EvaluationResult;
    try {
      result = await evaluatePredictions(opened.table, spec);
    } finally {
      opened.table.close();
      await opened.cleanup();
    }
    const id = newHexId(16);
    const artifactDir = run && logToRun && run.info.artifactUri.startsWith('mlflow-artifacts:')
      ? joinArtifactPath(artifactPathOf(run.info.artifactUri), 'evaluations', id)
      : undefined;
    const evaluation: Evaluation = {
      id,
      name: name ?? opened.dataset.name,
      task: spec.task,
      ...(run ? { runId: run.info.runId } : {}),
      ...(model ? { model } : {}),
      dataset: opened.dataset,
      createdAt: this.clock.now(),
      createdBy: actor.userId,
      spec: { ...spec, metricPrefix },
      result,
      ...(artifactDir ? { artifacts: { json: `${artifactDir}/evaluation.json`, html: `${artifactDir}/report.html` } } : {}),
    };
    const flat = flattenMetrics(result);
    await this.store.createEvaluation(evaluation, flat);
    if (run && logToRun) {
      try {
        await this.logToRun(actor, run, evaluation, flat, metricPrefix);
        await this.recordLineage(actor, evaluation, opened.lineageId);
      } catch (err) {
        // The evaluation is evidence only together with what it logged; without the run's record it is withdrawn,
        // and so are its reports.
        await this.store.deleteEvaluation(id);
        for (const report of Object.values(evaluation.artifacts ?? {})) await this.artifacts.delete(actor, report).catch(() => undefined);
        throw err;
      }
    } else {
      await this.recordLineage(actor, evaluation, opened.lineageId).catch(async (err: unknown) => {
        await this.store.deleteEvaluation(id);
        throw err;
      });
    }
    return evaluation;
  }

  /** The reports go first: unlike metric points and inputs, they can be taken back if a later step fails. */
  private async logToRun(actor: Actor, run: Run, e: Evaluation, flat: readonly FlatMetric[], prefix: string): Promise<void> {
    if (e.artifacts) {
      const json = Buffer.from(JSON.stringify(e, null, 2));
      const html = Buffer.from(renderEvaluationHtml(e));
      await this.artifacts.upload(actor, e.artifacts.json, Readable.from([json]), json.length);
      await this.artifacts.upload(actor, e.artifacts.html, Readable.from([html]), html.length);
    }
    const now = this.clock.now();
    const metrics = flat.map((m) => ({ key: metricKey(prefix + m.key), value: m.value, timestamp: now, step: 0 }));
    for (let i = 0; i < metrics.length; i += 1000) await this.runs.logBatch(actor, run.info.runId, { metrics: metrics.slice(i, i + 1000), params: [], tags: [] });
    await this.runs.logInputs(actor, run.info.runId, [{
      dataset: {
        name: e.dataset.name.slice(0, 500), digest: e.dataset.digest.slice(0, 64), sourceType: e.dataset.source === 'inline' ? 'code' : 'local',
        source: JSON.stringify({ uri: e.dataset.source }), profile: JSON.stringify({ num_rows: e.dataset.rows }),
      },
      tags: [{ key: 'mlflow.data.context', value: 'evaluation' }],
    }]);
  }

  async compare(actor: Actor, body: unknown): Promise<Comparison> {
    const input = parseInput(CompareRequestSchema, body);
    const { data, name, runId, candidate, baseline, baselineColumns, ...spec } = input;
    const { run } = await this.linked(actor, 'EDIT', { ...(runId ? { runId } : {}), ...(candidate ? { model: candidate } : {}) });
    if (baseline) await this.models.getModelVersion(actor, baseline.name, baseline.version);
    const opened = await this.open(actor, data, run, name);
    try {
      const result = await compareModels(opened.table, spec, baselineColumns);
      const comparison: Comparison = {
        id: newHexId(16),
        name: name ?? opened.dataset.name,
        task: spec.task,
        ...(run ? { runId: run.info.runId } : {}),
        ...(candidate ? { candidate } : {}),
        ...(baseline ? { baseline } : {}),
        dataset: opened.dataset,
        createdAt: this.clock.now(),
        createdBy: actor.userId,
        spec: { ...spec, baselineColumns },
        result,
      };
      await this.store.createComparison(comparison);
      return comparison;
    } finally {
      opened.table.close();
      await opened.cleanup();
    }
  }

  /** `asMissing`: what a caller who may not read it is told (that it does not exist, as for an unknown id). */
  private async readable<T extends { runId?: string; model?: ModelRef; candidate?: ModelRef }>(actor: Actor, item: T, asMissing?: () => DomainError): Promise<T> {
    const model = item.model ?? item.candidate;
    if (model) await this.access.require(actor, 'READ', { kind: 'registered_model', id: model.name, ...(asMissing ? { asMissing } : {}) });
    else if (item.runId) await this.runs.get(actor, item.runId).catch((err: unknown) => {
      // A deleted or purged run leaves the evaluation readable to those who may read the server.
      if (isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST' && !err.concealed) return this.access.require(actor, 'READ', { kind: 'server' });
      throw err;
    });
    else await this.access.require(actor, 'READ', { kind: 'server' });
    return item;
  }

  async get(actor: Actor, id: string): Promise<Evaluation> {
    return this.readable(actor, orThrow(await this.store.getEvaluation(id), () => notFound(`Evaluation '${id}'`)), () => notFound(`Evaluation '${id}'`));
  }

  async reportHtml(actor: Actor, id: string): Promise<string> {
    return renderEvaluationHtml(await this.get(actor, id));
  }

  async list(actor: Actor, input: ListInput): Promise<{ items: EvaluationSummary[]; nextOffset?: number }> {
    if (input.modelName) await this.access.require(actor, 'READ', { kind: 'registered_model', id: input.modelName });
    else if (input.runId) await this.runs.get(actor, input.runId);
    else await this.access.require(actor, 'READ', { kind: 'server' });
    const limit = input.maxResults ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid(`Invalid value for parameter 'maxResults': ${limit} is not between 1 and 1000`);
    const page = await this.store.listEvaluations({ ...input, limit, offset: input.offset ?? 0 });
    if (input.modelName || input.runId) return page;
    // Across the workspace: evaluations of models the caller may not read are left out of the page.
    const visible = new Set(await this.access.readable(actor, 'registered_model', page.items.filter((e) => e.model), (e) => e.model!.name));
    return { ...page, items: page.items.filter((e) => !e.model || visible.has(e)) };
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const e = orThrow(await this.store.getEvaluation(id), () => notFound(`Evaluation '${id}'`));
    await this.access.require(actor, 'EDIT', e.model ? { kind: 'registered_model', id: e.model.name } : { kind: 'server' });
    await this.store.deleteEvaluation(id);
  }

  async getComparison(actor: Actor, id: string): Promise<Comparison> {
    return this.readable(actor, orThrow(await this.store.getComparison(id), () => notFound(`Comparison '${id}'`)), () => notFound(`Comparison '${id}'`));
  }

  async listComparisons(actor: Actor, input: { candidate?: ModelRef; baseline?: ModelRef; maxResults?: number }): Promise<Comparison[]> {
    await this.access.require(actor, 'READ', input.candidate ? { kind: 'registered_model', id: input.candidate.name } : { kind: 'server' });
    const found = await this.store.findComparisons({ ...input, limit: input.maxResults ?? 100, offset: 0 });
    // Both sides must be readable: a comparison shows the candidate's and the baseline's numbers.
    const models = found.flatMap((c) => [c.candidate?.name, c.baseline?.name]).filter((n): n is string => n !== undefined);
    const readable = new Set(await this.access.readable(actor, 'registered_model', [...new Set(models)], (n) => n));
    return found.filter((c) => [c.candidate?.name, c.baseline?.name].every((n) => n === undefined || readable.has(n)));
  }

  /** The newest evaluations and comparisons of a version; what promotion checks and cards read. */
  async evidenceOf(model: ModelRef, opts: { dataset?: string; limit?: number } = {}) {
    return {
      evaluations: await this.store.findEvaluations({ modelName: model.name, modelVersion: model.version, ...(opts.dataset ? { dataset: opts.dataset } : {}), limit: opts.limit ?? 20, offset: 0 }),
    };
  }

  async latestComparison(candidate: ModelRef, baseline: ModelRef, dataset?: string): Promise<Comparison | undefined> {
    return (await this.store.findComparisons({ candidate, baseline, ...(dataset ? { dataset } : {}), limit: 1, offset: 0 }))[0];
  }

  /** The newest explanation of a version (feature attributions), for its card; set by the composition root. */
  explanations: ((name: string, version: number) => Promise<Explanation | undefined>) | undefined;

  async card(actor: Actor, name: string, version: number): Promise<{ card: ModelCard; evaluations: Evaluation[] }> {
    await this.access.require(actor, 'READ', { kind: 'registered_model', id: name });
    const model = await this.models.getRegisteredModel(actor, name);
    const mv = await this.models.getModelVersion(actor, name, version);
    let run: Run | undefined;
    let runProblem: string | undefined;
    if (mv.runId) {
      try {
        run = await this.runs.get(actor, mv.runId);
      } catch (err) {
        if (!isDomainError(err)) throw err;
        runProblem = `source run ${mv.runId}: ${err.message}`;
      }
    }
    const ref = { name, version: mv.version };
    const evaluations = await this.store.findEvaluations({ modelName: name, modelVersion: mv.version, limit: 20, offset: 0 });
    const comparisons = await this.store.findComparisons({ candidate: ref, limit: 10, offset: 0 });
    const history = this.history ? await this.history(actor, name, mv.version) : [];
    const human = await this.store.getCardFields(ref);
    const explanation = await this.explanations?.(name, mv.version);
    const card = buildModelCard({
      model, version: mv, ...(run ? { run } : {}), ...(runProblem ? { runProblem } : {}),
      evaluations, comparisons, history, ...(human ? { human } : {}), ...(explanation ? { explanation } : {}), generatedAt: this.clock.now(),
    });
    return { card, evaluations };
  }

  async cardMarkdown(actor: Actor, name: string, version: number): Promise<string> {
    return renderCardMarkdown((await this.card(actor, name, version)).card);
  }

  async cardHtml(actor: Actor, name: string, version: number): Promise<string> {
    const { card, evaluations } = await this.card(actor, name, version);
    return renderCardHtml(card, evaluations);
  }

  /** Merges the given human-written fields into the stored ones; an empty string clears a field. */
  async setCardFields(actor: Actor, name: string, version: number, body: unknown): Promise<ModelCard> {
    const given = parseInput(CardFieldsSchema, body) as CardFields;
    await this.access.require(actor, 'EDIT', { kind: 'registered_model', id: name });
    const mv = await this.models.getModelVersion(actor, name, version);
    const ref = { name, version: mv.version };
    const merged: CardFields = { ...(await this.store.getCardFields(ref))?.fields };
    for (const [field, text] of Object.entries(given) as [keyof CardFields, string | undefined][]) {
      if (text === undefined) continue;
      if (text.trim() === '') delete merged[field];
      else merged[field] = text;
    }
    await this.store.setCardFields(ref, { fields: merged, updatedAt: this.clock.now(), updatedBy: actor.userId });
    return (await this.card(actor, name, mv.version)).card;
  }
}
