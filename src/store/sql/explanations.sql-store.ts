import type { Kysely, Selectable } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { ExplanationQuery, ExplanationStore } from '../../domain/explain/explain.store.js';
import type { ExplainMethod, Explanation, ExplanationSummary } from '../../domain/explain/types.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database } from '../schema.js';
import type { ExplanationTables } from '../tables/explanations.tables.js';

type Row = Selectable<ExplanationTables['explanations']>;

const summaryOf = (r: Omit<Row, 'spec' | 'result'>): ExplanationSummary => ({
  id: r.id, model: { name: r.model_name, version: Number(r.model_version) }, dataName: r.data_name,
  createdAt: Number(r.created_at), createdBy: r.created_by, methods: r.methods.split(',').filter(Boolean) as ExplainMethod[],
});

const explanationOf = (r: Row): Explanation => {
  const { methods: _methods, ...summary } = summaryOf(r);
  return { ...summary, spec: JSON.parse(r.spec), result: JSON.parse(r.result) };
};

const SUMMARY_COLUMNS = ['id', 'model_name', 'model_version', 'data_name', 'methods', 'created_by', 'created_at'] as const;

export class SqlExplanationStore implements ExplanationStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async create(e: Explanation): Promise<void> {
    try {
      await busyGuard(() => this.db.insertInto('explanations').values({
        id: e.id, model_name: e.model.name, model_version: e.model.version, data_name: e.dataName, methods: e.spec.methods.join(','),
        spec: JSON.stringify(e.spec), result: JSON.stringify(e.result), created_by: e.createdBy, created_at: e.createdAt,
      }).execute());
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Explanation '${e.id}'`);
      throw err;
    }
  }

  async get(id: string): Promise<Explanation | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('explanations').selectAll().where('id', '=', id).executeTakeFirst());
    return row ? explanationOf(row) : undefined;
  }

  async list(q: ExplanationQuery): Promise<{ items: ExplanationSummary[]; nextOffset?: number }> {
    let query = this.db.selectFrom('explanations').select(SUMMARY_COLUMNS);
    if (q.modelName !== undefined) query = query.where('model_name', '=', q.modelName);
    if (q.modelVersion !== undefined) query = query.where('model_version', '=', q.modelVersion);
    const rows = await busyGuard(() => query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit + 1).offset(q.offset).execute());
    const items = rows.slice(0, q.limit).map(summaryOf);
    return { items, ...(rows.length > q.limit ? { nextOffset: q.offset + q.limit } : {}) };
  }

  async latest(modelName: string, modelVersion: number): Promise<Explanation | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('explanations').selectAll()
      .where('model_name', '=', modelName).where('model_version', '=', modelVersion)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst());
    return row ? explanationOf(row) : undefined;
  }
}
