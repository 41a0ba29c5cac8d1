import type { Kysely, SelectQueryBuilder } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { ComparisonQuery, EvaluationQuery, EvaluationStore, FlatMetric } from '../../domain/evaluation/evaluation.store.js';
import type { CardFieldsRecord, Comparison, Evaluation, EvaluationSummary, ModelRef, Task } from '../../domain/evaluation/types.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database, EvaluationComparisonsTable, EvaluationsTable } from '../schema.js';

/** PostgreSQL's JSON-free text columns hold the documents; SQLite and PostgreSQL read them the same way. */
const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function evaluationRow(e: Evaluation): EvaluationsTable {
  return {
    id: e.id, name: e.name, task: e.task, run_id: e.runId ?? null,
    model_name: e.model?.name ?? null, model_version: e.model?.version ?? null,
    dataset_name: e.dataset.name, dataset_digest: e.dataset.digest, dataset_source: e.dataset.source, dataset_rows: e.dataset.rows,
    created_at: e.createdAt, created_by: e.createdBy, spec: JSON.stringify(e.spec), result: JSON.stringify(e.result),
    artifacts: e.artifacts ? JSON.stringify(e.artifacts) : null,
  };
}

function header(r: Omit<EvaluationsTable, 'spec' | 'result'>) {
  return {
    id: r.id, name: r.name, task: r.task as Task,
    ...(r.run_id !== null ? { runId: r.run_id } : {}),
    ...(r.model_name !== null && r.model_version !== null ? { model: { name: r.model_name, version: Number(r.model_version) } } : {}),
    dataset: { name: r.dataset_name, digest: r.dataset_digest, source: r.dataset_source, rows: Number(r.dataset_rows) },
    createdAt: Number(r.created_at), createdBy: r.created_by,
    ...(r.artifacts !== null ? { artifacts: JSON.parse(r.artifacts) as Evaluation['artifacts'] } : {}),
  };
}

const evaluationOf = (r: EvaluationsTable): Evaluation => ({ ...header(r), spec: JSON.parse(r.spec), result: JSON.parse(r.result) });

function comparisonRow(c: Comparison): EvaluationComparisonsTable {
  return {
    id: c.id, name: c.name, task: c.task, run_id: c.runId ?? null,
    candidate_model_name: c.candidate?.name ?? null, candidate_version: c.candidate?.version ?? null,
    baseline_model_name: c.baseline?.name ?? null, baseline_version: c.baseline?.version ?? null,
    dataset_name: c.dataset.name, dataset_digest: c.dataset.digest, dataset_source: c.dataset.source, dataset_rows: c.dataset.rows,
    created_at: c.createdAt, created_by: c.createdBy, spec: JSON.stringify(c.spec), result: JSON.stringify(c.result),
  };
}

function comparisonOf(r: EvaluationComparisonsTable): Comparison {
  const ref = (name: string | null, version: number | null) => (name !== null && version !== null ? { name, version: Number(version) } : undefined);
  const candidate = ref(r.candidate_model_name, r.candidate_version);
  const baseline = ref(r.baseline_model_name, r.baseline_version);
  return {
    id: r.id, name: r.name, task: r.task as Task,
    ...(opt(r.run_id) !== undefined ? { runId: r.run_id! } : {}),
    ...(candidate ? { candidate } : {}),
    ...(baseline ? { baseline } : {}),
    dataset: { name: r.dataset_name, digest: r.dataset_digest, source: r.dataset_source, rows: Number(r.dataset_rows) },
    createdAt: Number(r.created_at), createdBy: r.created_by, spec: JSON.parse(r.spec), result: JSON.parse(r.result),
  };
}

export class SqlEvaluationStore implements EvaluationStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async createEvaluation(evaluation: Evaluation, metrics: readonly FlatMetric[]): Promise<void> {
    try {
      await busyGuard(() =>
        this.db.transaction().execute(async (trx) => {
          await trx.insertInto('evaluations').values(evaluationRow(evaluation)).execute();
          // Chunks keep each statement under SQLite's and PostgreSQL's bound-parameter limits.
          for (let i = 0; i < metrics.length; i += 500) {
            await trx.insertInto('evaluation_metrics').values(metrics.slice(i, i + 500).map((m) => ({
              evaluation_id: evaluation.id, key: m.key, value: m.value, ci_lower: m.ciLower ?? null, ci_upper: m.ciUpper ?? null,
            }))).execute();
          }
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Evaluation '${evaluation.id}'`);
      throw err;
    }
  }

  async getEvaluation(id: string): Promise<Evaluation | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('evaluations').selectAll().where('id', '=', id).executeTakeFirst());
    return row ? evaluationOf(row) : undefined;
  }

  private filtered<O>(q: EvaluationQuery, query: SelectQueryBuilder<Database, 'evaluations', O>) {
    let out = query;
    if (q.runId !== undefined) out = out.where('run_id', '=', q.runId);
    if (q.modelName !== undefined) out = out.where('model_name', '=', q.modelName);
    if (q.modelVersion !== undefined) out = out.where('model_version', '=', q.modelVersion);
    if (q.dataset !== undefined) out = out.where((eb) => eb.or([eb('dataset_name', '=', q.dataset!), eb('dataset_digest', '=', q.dataset!)]));
    return out.orderBy('created_at', 'desc').orderBy('id', 'desc');
  }

  async listEvaluations(q: EvaluationQuery): Promise<{ items: EvaluationSummary[]; nextOffset?: number }> {
    return busyGuard(async () => {
      const rows = await this.filtered(q, this.db.selectFrom('evaluations').select([
        'id', 'name', 'task', 'run_id', 'model_name', 'model_version', 'dataset_name', 'dataset_digest', 'dataset_source', 'dataset_rows',
        'created_at', 'created_by', 'artifacts',
      ])).limit(q.limit + 1).offset(q.offset).execute();
      const page = rows.slice(0, q.limit);
      const metrics = page.length
        ? await this.db.selectFrom('evaluation_metrics').select(['evaluation_id', 'key', 'value']).where('evaluation_id', 'in', page.map((r) => r.id)).execute()
        : [];
      const byEvaluation = new Map<string, Record<string, number>>();
      for (const m of metrics) {
        const entry = byEvaluation.get(m.evaluation_id) ?? {};
        entry[m.key] = Number(m.value);
        byEvaluation.set(m.evaluation_id, entry);
      }
      const items = page.map((r) => ({ ...header(r), metrics: byEvaluation.get(r.id) ?? {} }));
      return rows.length > q.limit ? { items, nextOffset: q.offset + q.limit } : { items };
    });
  }

  async findEvaluations(q: EvaluationQuery): Promise<Evaluation[]> {
    const rows = await busyGuard(() => this.filtered(q, this.db.selectFrom('evaluations').selectAll()).limit(q.limit).offset(q.offset).execute());
    return rows.map(evaluationOf);
  }

  async deleteEvaluation(id: string): Promise<boolean> {
    return busyGuard(() =>
      this.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('evaluation_metrics').where('evaluation_id', '=', id).execute();
        const r = await trx.deleteFrom('evaluations').where('id', '=', id).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      }),
    );
  }

  async createComparison(comparison: Comparison): Promise<void> {
    try {
      await busyGuard(() => this.db.insertInto('evaluation_comparisons').values(comparisonRow(comparison)).execute());
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Comparison '${comparison.id}'`);
      throw err;
    }
  }

  async getComparison(id: string): Promise<Comparison | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('evaluation_comparisons').selectAll().where('id', '=', id).executeTakeFirst());
    return row ? comparisonOf(row) : undefined;
  }

  async findComparisons(q: ComparisonQuery): Promise<Comparison[]> {
    let query = this.db.selectFrom('evaluation_comparisons').selectAll();
    if (q.candidate) query = query.where('candidate_model_name', '=', q.candidate.name).where('candidate_version', '=', q.candidate.version);
    if (q.baseline) query = query.where('baseline_model_name', '=', q.baseline.name).where('baseline_version', '=', q.baseline.version);
    if (q.dataset !== undefined) query = query.where((eb) => eb.or([eb('dataset_name', '=', q.dataset!), eb('dataset_digest', '=', q.dataset!)]));
    const rows = await busyGuard(() => query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).offset(q.offset).execute());
    return rows.map(comparisonOf);
  }

  async getCardFields(model: ModelRef): Promise<CardFieldsRecord | undefined> {
    const row = await busyGuard(() =>
      this.db.selectFrom('model_card_fields').selectAll().where('model_name', '=', model.name).where('model_version', '=', model.version).executeTakeFirst(),
    );
    return row ? { fields: JSON.parse(row.fields), updatedAt: Number(row.updated_at), updatedBy: row.updated_by } : undefined;
  }

  async setCardFields(model: ModelRef, record: CardFieldsRecord): Promise<void> {
    const values = { model_name: model.name, model_version: model.version, fields: JSON.stringify(record.fields), updated_at: record.updatedAt, updated_by: record.updatedBy };
    await busyGuard(() =>
      this.db.insertInto('model_card_fields').values(values)
        .onConflict((oc) => oc.columns(['model_name', 'model_version']).doUpdateSet({ fields: values.fields, updated_at: values.updated_at, updated_by: values.updated_by }))
        .execute(),
    );
  }
}
