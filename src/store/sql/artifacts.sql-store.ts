import { sql, type Kysely } from 'kysely';
import { invalid } from '../../core/errors.js';
import type { ArtifactFileRecord, ArtifactFilesStore } from '../../domain/artifacts/artifact-files.store.js';
import type { LoggedModel, LoggedModelMetric, LoggedModelQuery, LoggedModelStatus, LoggedModelStore, NewLoggedModel } from '../../domain/tracking/logged-model.js';
import type { KeyValue, Page } from '../../domain/tracking/types.js';
import { isUniqueViolation, translateBusy, type DatabaseHandle } from '../db.js';
import type { Database, LoggedModelsTable } from '../schema.js';
import { orderClauses, whereClause, type EntityColumns, type Sql } from './run-search.sql.js';

export class SqlArtifactFilesStore implements ArtifactFilesStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async record(file: ArtifactFileRecord): Promise<void> {
    const row = { path: file.path, size: file.size, sha256: file.sha256, updated_at: file.updatedAt };
    await this.db
      .insertInto('artifact_files')
      .values(row)
      .onConflict((oc) => oc.column('path').doUpdateSet({ size: row.size, sha256: row.sha256, updated_at: row.updated_at }))
      .execute()
      .catch((err: unknown) => {
        throw translateBusy(err);
      });
  }

  async get(path: string): Promise<ArtifactFileRecord | undefined> {
    const r = await this.db.selectFrom('artifact_files').selectAll().where('path', '=', path).executeTakeFirst();
    return r ? { path: r.path, size: Number(r.size), sha256: r.sha256, updatedAt: Number(r.updated_at) } : undefined;
  }

  async forget(path: string): Promise<void> {
    // Escape LIKE's wildcards so a directory named `a_b` does not also match `axb`.
    const prefix = `${path.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
    await this.db
      .deleteFrom('artifact_files')
      .where((eb) => eb.or([eb('path', '=', path), sql<boolean>`path like ${prefix} escape '\\'`]))
      .execute();
  }
}

const MODEL_ATTRIBUTES: Record<string, string> = {
  name: 'name', model_id: 'model_id', status: 'status', source_run_id: 'source_run_id', model_type: 'model_type',
  creation_timestamp: 'creation_time', creation_time: 'creation_time', last_updated_timestamp: 'last_updated_time',
};

const modelColumns: EntityColumns = {
  id: sql.ref('lm.model_id'),
  tagTable: 'logged_model_tags',
  tagOwner: 'model_id',
  paramTable: 'logged_model_params',
  paramOwner: 'model_id',
  attribute: (key): Sql => {
    const col = MODEL_ATTRIBUTES[key];
    if (!col) throw invalid(`Invalid attribute '${key}' for logged model search`);
    return sql.ref(`lm.${col}`);
  },
};

/** Models with a metric measured on one of the datasets (by name, and digest when given), as MLflow's `datasets` search field. */
function datasetClause(datasets: LoggedModelQuery['datasets']): Sql {
  if (datasets.length === 0) return sql`1 = 1`;
  const matches = datasets.map((d) =>
    d.digest === undefined ? sql`lmm.dataset_name = ${d.name}` : sql`(lmm.dataset_name = ${d.name} and lmm.dataset_digest = ${d.digest})`);
  return sql`exists (select 1 from logged_model_metrics lmm where lmm.model_id = lm.model_id and (${sql.join(matches, sql` or `)}))`;
}

export class SqlLoggedModelStore implements LoggedModelStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async create(m: NewLoggedModel): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('logged_models')
        .values({
          model_id: m.modelId, experiment_id: Number(m.experimentId), name: m.name, artifact_location: m.artifactLocation,
          status: 'LOGGED_MODEL_PENDING', status_message: null, model_type: m.modelType ?? null, source_run_id: m.sourceRunId ?? null,
          creator: m.creatorId, creation_time: m.now, last_updated_time: m.now, lifecycle_stage: 'active',
        })
        .execute();
      if (m.tags.length > 0) await trx.insertInto('logged_model_tags').values(m.tags.map((t) => ({ model_id: m.modelId, ...t }))).execute();
      if (m.params.length > 0) {
        const unique = new Map(m.params.map((p) => [p.key, p.value]));
        await trx.insertInto('logged_model_params').values([...unique].map(([key, value]) => ({ model_id: m.modelId, key, value }))).execute();
      }
    });
  }

  async get(modelId: string): Promise<LoggedModel | undefined> {
    const row = await this.db.selectFrom('logged_models').selectAll().where('model_id', '=', modelId).where('lifecycle_stage', '=', 'active').executeTakeFirst();
    return row ? (await this.hydrate([row]))[0] : undefined;
  }

  private async hydrate(rows: LoggedModelsTable[]): Promise<LoggedModel[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.model_id);
    const [tags, params, metrics] = await Promise.all([
      this.db.selectFrom('logged_model_tags').selectAll().where('model_id', 'in', ids).orderBy('key').execute(),
      this.db.selectFrom('logged_model_params').selectAll().where('model_id', 'in', ids).orderBy('key').execute(),
      this.db.selectFrom('logged_model_metrics').selectAll().where('model_id', 'in', ids).orderBy('key').orderBy('timestamp').orderBy('step').execute(),
    ]);
    const metricsBy = new Map<string, LoggedModelMetric[]>();
    for (const m of metrics) {
      const list = metricsBy.get(m.model_id) ?? [];
      list.push({
        key: m.key, value: m.is_nan ? NaN : Number(m.value), timestamp: Number(m.timestamp), step: Number(m.step), runId: m.run_uuid,
        ...(m.dataset_name !== null ? { datasetName: m.dataset_name } : {}), ...(m.dataset_digest !== null ? { datasetDigest: m.dataset_digest } : {}),
      });
      metricsBy.set(m.model_id, list);
    }
    const by = (list: { model_id: string; key: string; value: string }[]) => {
      const m = new Map<string, KeyValue[]>();
      for (const x of list) m.set(x.model_id, [...(m.get(x.model_id) ?? []), { key: x.key, value: x.value }]);
      return m;
    };
    const tagsBy = by(tags);
    const paramsBy = by(params);
    return rows.map((r) => ({
      modelId: r.model_id,
      experimentId: String(r.experiment_id),
      name: r.name,
      artifactLocation: r.artifact_location,
      status: r.status as LoggedModelStatus,
      creatorId: r.creator,
      creationTime: Number(r.creation_time),
      lastUpdatedTime: Number(r.last_updated_time),
      tags: tagsBy.get(r.model_id) ?? [],
      params: paramsBy.get(r.model_id) ?? [],
      metrics: metricsBy.get(r.model_id) ?? [],
      ...(r.source_run_id ? { sourceRunId: r.source_run_id } : {}),
      ...(r.model_type ? { modelType: r.model_type } : {}),
      ...(r.status_message ? { statusMessage: r.status_message } : {}),
    }));
  }

  async setStatus(modelId: string, status: LoggedModelStatus, now: number): Promise<void> {
    await this.db.updateTable('logged_models').set({ status, last_updated_time: now }).where('model_id', '=', modelId).execute();
  }

  async delete(modelId: string): Promise<void> {
    await this.db.updateTable('logged_models').set({ lifecycle_stage: 'deleted' }).where('model_id', '=', modelId).execute();
  }

  async setTags(modelId: string, tags: readonly KeyValue[], now: number): Promise<void> {
    if (tags.length === 0) return;
    const unique = new Map(tags.map((t) => [t.key, t.value]));
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('logged_model_tags')
        .values([...unique].map(([key, value]) => ({ model_id: modelId, key, value })))
        .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }))
        .execute();
      await trx.updateTable('logged_models').set({ last_updated_time: now }).where('model_id', '=', modelId).execute();
    });
  }

  async deleteTag(modelId: string, key: string): Promise<boolean> {
    const r = await this.db.deleteFrom('logged_model_tags').where('model_id', '=', modelId).where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async logParams(modelId: string, params: readonly KeyValue[]): Promise<void> {
    if (params.length === 0) return;
    await this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('logged_model_params').select(['key', 'value']).where('model_id', '=', modelId)
        .where('key', 'in', params.map((p) => p.key)).execute();
      const stored = new Map(existing.map((e) => [e.key, e.value]));
      const fresh = new Map<string, string>();
      for (const p of params) {
        const old = stored.get(p.key) ?? fresh.get(p.key);
        if (old !== undefined && old !== p.value) throw invalid(`Param '${p.key}' of logged model ${modelId} is already '${old}'; params cannot change`);
        if (!stored.has(p.key)) fresh.set(p.key, p.value);
      }
      if (fresh.size > 0) {
        await trx.insertInto('logged_model_params').values([...fresh].map(([key, value]) => ({ model_id: modelId, key, value }))).execute();
      }
    });
  }

  async search(q: LoggedModelQuery): Promise<Page<LoggedModel>> {
    const ids = q.experimentIds.filter((id) => /^\d{1,15}$/.test(id)).map(Number);
    if (ids.length === 0) return { items: [] };
    const { joins, order } = orderClauses(q.orderBy.map((o) => ({ entity: 'attribute', key: o.field, ascending: o.ascending })), modelColumns);
    order.push(sql`lm.creation_time desc`, sql`lm.model_id asc`);
    const result = await sql<LoggedModelsTable>`
      select lm.* from logged_models lm ${joins}
      where lm.experiment_id in (${sql.join(ids.map((id) => sql`${id}`))}) and lm.lifecycle_stage = 'active'
        and ${whereClause(q.filter, modelColumns)} and ${datasetClause(q.datasets)}
      order by ${sql.join(order)}
      limit ${q.maxResults + 1} offset ${q.offset}`.execute(this.db);
    const items = await this.hydrate(result.rows.slice(0, q.maxResults));
    return result.rows.length > q.maxResults ? { items, nextOffset: q.offset + q.maxResults } : { items };
  }

  async logRunOutputs(runId: string, outputs: readonly { modelId: string; step: number }[]): Promise<void> {
    if (outputs.length === 0) return;
    try {
      await this.db
        .insertInto('run_outputs')
        .values(outputs.map((o) => ({ run_uuid: runId, model_id: o.modelId, step: o.step })))
        .onConflict((oc) => oc.columns(['run_uuid', 'model_id']).doUpdateSet({ step: (eb) => eb.ref('excluded.step') }))
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) return;
      throw translateBusy(err);
    }
  }
}
