import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import { alreadyExists, invalid, missing } from '../../core/errors.js';
import type {
  DatasetSummary, ExperimentQuery, IdempotencyKey, NewExperiment, NewRun, RunQuery, TrackingStore,
} from '../../domain/tracking/tracking.store.js';
import type {
  Batch, DatasetInput, Experiment, HistoryJsonPage, HistoryPage, HistoryPosition, KeyValue, LifecycleStage, LoggedMetric, Metric, MetricWithRun, Page, Run,
  RunInfo, RunStatus, SavedView,
} from '../../domain/tracking/types.js';
import { busyGuard, isForeignKeyViolation, isUniqueViolation, selectArrays, type DatabaseHandle } from '../db.js';
import type { Database, ExperimentsTable, MetricsTable } from '../schema.js';
import { orderClauses, whereClause, type EntityColumns, type Sql } from './run-search.sql.js';

type Db = Kysely<Database> | Transaction<Database>;
type RunRow = Omit<Database['runs'], never>;
type ExperimentRow = { [K in keyof ExperimentsTable]: K extends 'experiment_id' ? number : ExperimentsTable[K] };

/** Rows per INSERT: 6 columns × 1000 stays far below SQLite's and PostgreSQL's bound-parameter limits. */
const INSERT_CHUNK = 1000;
const METRIC_COLUMNS = 6;

const RUN_ATTRIBUTES: Record<string, string> = {
  run_id: 'run_uuid', run_name: 'name', status: 'status', user_id: 'user_id', artifact_uri: 'artifact_uri',
  lifecycle_stage: 'lifecycle_stage', start_time: 'start_time', created: 'start_time', Created: 'start_time',
  end_time: 'end_time', experiment_id: 'experiment_id',
};
const EXPERIMENT_ATTRIBUTES: Record<string, string> = {
  name: 'name', experiment_id: 'experiment_id', creation_time: 'creation_time', last_update_time: 'last_update_time',
  artifact_location: 'artifact_location', lifecycle_stage: 'lifecycle_stage',
};

const runColumns: EntityColumns = {
  id: sql.ref('r.run_uuid'),
  tagTable: 'tags',
  tagOwner: 'run_uuid',
  paramTable: 'params',
  paramOwner: 'run_uuid',
  attribute: (key) => column('r', RUN_ATTRIBUTES, key, 'run'),
};
const experimentColumns: EntityColumns = {
  id: sql.ref('e.experiment_id'),
  tagTable: 'experiment_tags',
  tagOwner: 'experiment_id',
  attribute: (key) => column('e', EXPERIMENT_ATTRIBUTES, key, 'experiment'),
};

function column(alias: string, table: Record<string, string>, key: string, what: string): Sql {
  const col = table[key];
  if (!col) throw invalid(`Invalid attribute key '${key}' for ${what} search; valid keys: ${Object.keys(table).join(', ')}`);
  return sql.ref(`${alias}.${col}`);
}

const stageFilter = (view: ExperimentQuery['viewType']): LifecycleStage[] =>
  view === 'ALL' ? ['active', 'deleted'] : view === 'DELETED_ONLY' ? ['deleted'] : ['active'];

/** The value as stored: NaN as 0 (with is_nan set), ±Infinity as ±Number.MAX_VALUE, as MLflow stores them. */
const storedValue = (v: number): number => (v !== v ? 0 : v === Infinity ? Number.MAX_VALUE : v === -Infinity ? -Number.MAX_VALUE : v);

function toMetricRow(runId: string, m: Metric): MetricsTable {
  return { run_uuid: runId, key: m.key, value: storedValue(m.value), timestamp: m.timestamp, step: m.step, is_nan: Number.isNaN(m.value) ? 1 : 0 };
}

function fromMetricRow(r: { key: string; value: number; timestamp: number; step: number; is_nan: number }): Metric {
  return { key: r.key, value: r.is_nan ? NaN : Number(r.value), timestamp: Number(r.timestamp), step: Number(r.step) };
}

/** MLflow's notion of "latest": highest step, then latest timestamp, then largest (stored) value. */
function isLater(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return storedValue(a.value) > storedValue(b.value);
}

function toRunInfo(r: RunRow): RunInfo {
  return {
    runId: r.run_uuid,
    runName: r.name,
    experimentId: String(r.experiment_id),
    userId: r.user_id,
    status: r.status as RunStatus,
    startTime: Number(r.start_time),
    endTime: r.end_time === null ? null : Number(r.end_time),
    artifactUri: r.artifact_uri,
    lifecycleStage: r.lifecycle_stage as LifecycleStage,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Experiment ids are integers in the database; anything else names no experiment. */
function experimentKey(id: string): number | undefined {
  return /^\d{1,15}$/.test(id) ? Number(id) : undefined;
}

export class SqlTrackingStore implements TrackingStore {
  private readonly db: Kysely<Database>;

  private readonly dialect: DatabaseHandle['dialect'];
  private readonly pointInserts = new Map<number, string>();
  private readonly latestUpserts = new Map<number, string>();

  private readonly readAhead: HistoryReadAhead;

  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
    this.dialect = handle.dialect;
    this.readAhead = new HistoryReadAhead(handle.db);
  }

  /** How the history pages read ahead were used (SQLite; see HistoryReadAhead). */
  get historyReadAhead(): { readonly served: number; readonly stale: number } {
    return { ...this.readAhead.stats };
  }

  /**
   * `insert into metrics ... values (...), (...)` skipping points already stored, for `rows` points, written once per row count
   * (`insertMetrics` uses few counts).
   * The ingest path's hottest statement: built through the query builder, its 6,000 values were laid out as a
   * syntax tree and compiled back to this same text on every batch, which cost more than running it.
   */
  private pointInsert(rows: number): string {
    let text = this.pointInserts.get(rows);
    if (text === undefined) {
      const tuples = this.placeholders(rows);
      // SQLite: `or ignore` rather than `on conflict do nothing`, so no constraint of the statement can abort it and
      // SQLite keeps no statement journal (which spilled to a temp file, created and unlinked on every batch).
      text = this.dialect === 'postgres'
        ? `insert into metrics (run_uuid, key, value, timestamp, step, is_nan) values ${tuples} on conflict do nothing`
        : `insert or ignore into metrics (run_uuid, key, value, timestamp, step, is_nan) values ${tuples}`;
      this.pointInserts.set(rows, text);
    }
    return text;
  }

  /**
   * Upserts `rows` latest points (distinct keys), keeping whichever of stored and new is later (see `isLater`);
   * written once per row count, counts chosen as for `pointInsert`, rather than built through the query builder on every batch.
   */
  private latestUpsert(rows: number): string {
    let text = this.latestUpserts.get(rows);
    if (text === undefined) {
      text = `insert into latest_metrics (run_uuid, key, value, timestamp, step, is_nan) values ${this.placeholders(rows)}
        on conflict (run_uuid, key) do update set value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
        where excluded.step > latest_metrics.step
          or (excluded.step = latest_metrics.step and excluded.timestamp > latest_metrics.timestamp)
          or (excluded.step = latest_metrics.step and excluded.timestamp = latest_metrics.timestamp and excluded.value > latest_metrics.value)`;
      this.latestUpserts.set(rows, text);
    }
    return text;
  }

  /** `(?, ?, ?, ?, ?, ?), ...` (SQLite) or `($1, ..., $6), ...` (PostgreSQL) for `rows` metric rows. */
  private placeholders(rows: number): string {
    const tuples = new Array<string>(rows);
    for (let r = 0; r < rows; r++) {
      const n = r * METRIC_COLUMNS;
      tuples[r] = this.dialect === 'postgres' ? `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6})` : '(?, ?, ?, ?, ?, ?)';
    }
    return tuples.join(', ');
  }

  private readonly guard = busyGuard;

  async createExperiment(e: NewExperiment): Promise<string> {
    return this.guard(async () => {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('experiments')
            .values({
              name: e.name,
              artifact_location: typeof e.artifactLocation === 'string' ? e.artifactLocation : '',
              lifecycle_stage: 'active',
              creation_time: e.now,
              last_update_time: e.now,
            })
            .returning('experiment_id')
            .executeTakeFirstOrThrow();
          const id = String(row.experiment_id);
          if (typeof e.artifactLocation === 'function') {
            await trx.updateTable('experiments').set({ artifact_location: e.artifactLocation(id) }).where('experiment_id', '=', Number(id)).execute();
          }
          if (e.tags.length > 0) {
            await trx.insertInto('experiment_tags').values(e.tags.map((t) => ({ experiment_id: Number(id), key: t.key, value: t.value }))).execute();
          }
          return id;
        });
      } catch (err) {
        if (isUniqueViolation(err)) {
          const existing = await this.getExperimentByName(e.name);
          if (existing?.lifecycleStage === 'deleted') {
            throw alreadyExists(`Experiment '${e.name}' (in deleted state; restore it or choose another name)`);
          }
          throw alreadyExists(`Experiment '${e.name}'`);
        }
        throw err;
      }
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment | undefined> {
    const id = experimentKey(experimentId);
    if (id === undefined) return undefined;
    const row = await this.db.selectFrom('experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
    return row ? (await this.withTags([row]))[0] : undefined;
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    const row = await this.db.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? (await this.withTags([row]))[0] : undefined;
  }

  private async withTags(rows: ExperimentRow[]): Promise<Experiment[]> {
    if (rows.length === 0) return [];
    const tags = await this.db
      .selectFrom('experiment_tags')
      .select(['experiment_id', 'key', 'value'])
      .where('experiment_id', 'in', rows.map((r) => r.experiment_id))
      .orderBy('key')
      .execute();
    const byExperiment = new Map<number, KeyValue[]>();
    for (const t of tags) {
      const list = byExperiment.get(Number(t.experiment_id)) ?? [];
      list.push({ key: t.key, value: t.value });
      byExperiment.set(Number(t.experiment_id), list);
    }
    return rows.map((r) => ({
      experimentId: String(r.experiment_id),
      name: r.name,
      artifactLocation: r.artifact_location,
      lifecycleStage: r.lifecycle_stage as LifecycleStage,
      creationTime: Number(r.creation_time),
      lastUpdateTime: Number(r.last_update_time),
      tags: byExperiment.get(Number(r.experiment_id)) ?? [],
    }));
  }

  async searchExperiments(q: ExperimentQuery): Promise<Page<Experiment>> {
    const { joins, order } = orderClauses(q.orderBy, experimentColumns);
    order.push(sql`e.creation_time desc`, sql`e.experiment_id asc`);
    const stages = sql.join(stageFilter(q.viewType).map((s) => sql`${s}`));
    const result = await sql<ExperimentRow>`
      select e.* from experiments e ${joins}
      where e.lifecycle_stage in (${stages}) and ${whereClause(q.filter, experimentColumns)}
      order by ${sql.join(order)}
      limit ${q.maxResults + 1} offset ${q.offset}`.execute(this.db);
    const rows = result.rows.slice(0, q.maxResults);
    const items = await this.withTags(rows);
    return result.rows.length > q.maxResults ? { items, nextOffset: q.offset + q.maxResults } : { items };
  }

  async renameExperiment(experimentId: string, name: string, now: number): Promise<void> {
    await this.guard(async () => {
      try {
        await this.db.updateTable('experiments').set({ name, last_update_time: now }).where('experiment_id', '=', Number(experimentId)).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`Experiment '${name}'`);
        throw err;
      }
    });
  }

  async setExperimentLifecycle(experimentId: string, stage: LifecycleStage, now: number): Promise<void> {
    await this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const id = Number(experimentId);
        await trx.updateTable('experiments').set({ lifecycle_stage: stage, last_update_time: now }).where('experiment_id', '=', id).execute();
        await trx
          .updateTable('runs')
          .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now : null })
          .where('experiment_id', '=', id)
          .execute();
      }),
    );
  }

  async setExperimentTag(experimentId: string, tag: KeyValue): Promise<void> {
    await this.guard(() =>
      this.db
        .insertInto('experiment_tags')
        .values({ experiment_id: Number(experimentId), key: tag.key, value: tag.value })
        .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value: tag.value }))
        .execute(),
    );
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<boolean> {
    const r = await this.guard(() =>
      this.db.deleteFrom('experiment_tags').where('experiment_id', '=', Number(experimentId)).where('key', '=', key).executeTakeFirst(),
    );
    return Number(r.numDeletedRows) > 0;
  }

  async createRun(r: NewRun, idempotency?: IdempotencyKey): Promise<RunInfo> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        if (idempotency) {
          const claimed = await trx
            .insertInto('idempotency_keys')
            .values({ scope: idempotency.scope, key: idempotency.key, resource_id: r.runId, created_at: r.startTime })
            .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
            .returning('resource_id')
            .executeTakeFirst();
          if (!claimed) {
            const prior = await trx
              .selectFrom('idempotency_keys')
              .select('resource_id')
              .where('scope', '=', idempotency.scope)
              .where('key', '=', idempotency.key)
              .executeTakeFirstOrThrow();
            const run = await trx.selectFrom('runs').selectAll().where('run_uuid', '=', prior.resource_id).executeTakeFirst();
            if (run) return toRunInfo(run);
          }
        }
        const row: RunRow = {
          run_uuid: r.runId,
          experiment_id: Number(r.experimentId),
          name: r.runName,
          user_id: r.userId,
          status: 'RUNNING',
          start_time: r.startTime,
          end_time: null,
          lifecycle_stage: 'active',
          artifact_uri: r.artifactUri,
          deleted_time: null,
        };
        await trx.insertInto('runs').values(row).execute();
        if (r.tags.length > 0) await trx.insertInto('tags').values(r.tags.map((t) => ({ run_uuid: r.runId, ...t }))).execute();
        return toRunInfo(row);
      }),
    );
  }

  async getRunInfo(runId: string): Promise<RunInfo | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('run_uuid', '=', runId).executeTakeFirst();
    return row ? toRunInfo(row) : undefined;
  }

  async getRun(runId: string): Promise<Run | undefined> {
    const row = await this.db.selectFrom('runs').selectAll().where('run_uuid', '=', runId).executeTakeFirst();
    if (!row) return undefined;
    return (await this.hydrate([row]))[0];
  }

  /** Loads everything shown with a page of runs in five queries, whatever the page size. */
  private async hydrate(rows: RunRow[]): Promise<Run[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.run_uuid);
    const [params, tags, metrics, inputs, modelInputs, modelOutputs] = await Promise.all([
      this.db.selectFrom('params').select(['run_uuid', 'key', 'value']).where('run_uuid', 'in', ids).orderBy('key').execute(),
      this.db.selectFrom('tags').select(['run_uuid', 'key', 'value']).where('run_uuid', 'in', ids).orderBy('key').execute(),
      this.db.selectFrom('latest_metrics').selectAll().where('run_uuid', 'in', ids).orderBy('key').execute(),
      this.db
        .selectFrom('run_inputs')
        .innerJoin('datasets', 'datasets.dataset_uuid', 'run_inputs.dataset_uuid')
        .select(['run_inputs.run_uuid', 'run_inputs.tags', 'datasets.name', 'datasets.digest', 'datasets.source_type', 'datasets.source', 'datasets.schema', 'datasets.profile'])
        .where('run_inputs.run_uuid', 'in', ids)
        .orderBy('datasets.name')
        .execute(),
      this.db.selectFrom('run_model_inputs').select(['run_uuid', 'model_id']).where('run_uuid', 'in', ids).orderBy('model_id').execute(),
      this.db.selectFrom('run_outputs').select(['run_uuid', 'model_id', 'step']).where('run_uuid', 'in', ids).orderBy('model_id').execute(),
    ]);
    const group = <T extends { run_uuid: string }, U>(list: T[], map: (x: T) => U) => {
      const m = new Map<string, U[]>();
      for (const x of list) {
        const arr = m.get(x.run_uuid);
        if (arr) arr.push(map(x));
        else m.set(x.run_uuid, [map(x)]);
      }
      return m;
    };
    const kv = (x: { key: string; value: string }) => ({ key: x.key, value: x.value });
    const paramsBy = group(params, kv);
    const tagsBy = group(tags, kv);
    const metricsBy = group(metrics, fromMetricRow);
    const inputsBy = group(inputs, (i): DatasetInput => ({
      dataset: {
        name: i.name, digest: i.digest, sourceType: i.source_type, source: i.source,
        ...(i.schema !== null ? { schema: i.schema } : {}), ...(i.profile !== null ? { profile: i.profile } : {}),
      },
      tags: JSON.parse(i.tags) as KeyValue[],
    }));
    const modelInputsBy = group(modelInputs, (i) => i.model_id);
    const modelOutputsBy = group(modelOutputs, (o) => ({ modelId: o.model_id, step: Number(o.step) }));
    return rows.map((r) => ({
      info: toRunInfo(r),
      data: { metrics: metricsBy.get(r.run_uuid) ?? [], params: paramsBy.get(r.run_uuid) ?? [], tags: tagsBy.get(r.run_uuid) ?? [] },
      inputs: inputsBy.get(r.run_uuid) ?? [],
      modelInputs: modelInputsBy.get(r.run_uuid) ?? [],
      modelOutputs: modelOutputsBy.get(r.run_uuid) ?? [],
    }));
  }

  async updateRun(runId: string, update: { status?: RunStatus; endTime?: number; runName?: string }): Promise<void> {
    await this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const set: Partial<RunRow> = {};
        if (update.status !== undefined) set.status = update.status;
        if (update.endTime !== undefined) set.end_time = update.endTime;
        if (Object.keys(set).length > 0) await trx.updateTable('runs').set(set).where('run_uuid', '=', runId).execute();
        if (update.runName !== undefined) await this.rename(trx, runId, update.runName);
      }),
    );
  }

  /** The run name lives in the run row and, as MLflow keeps it, in the `mlflow.runName` tag. */
  private async rename(trx: Db, runId: string, runName: string): Promise<void> {
    await trx.updateTable('runs').set({ name: runName }).where('run_uuid', '=', runId).execute();
    await trx
      .insertInto('tags')
      .values({ run_uuid: runId, key: 'mlflow.runName', value: runName })
      .onConflict((oc) => oc.columns(['run_uuid', 'key']).doUpdateSet({ value: runName }))
      .execute();
  }

  async setRunLifecycle(runId: string, stage: LifecycleStage, now: number): Promise<void> {
    await this.guard(() =>
      this.db
        .updateTable('runs')
        .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now : null })
        .where('run_uuid', '=', runId)
        .execute(),
    );
  }

  async logBatch(runId: string, batch: Batch, runName?: string, idempotencyKey?: string): Promise<void> {
    await this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        // The key is claimed in the batch's own transaction: a rejected batch releases it, an applied one keeps it.
        if (idempotencyKey !== undefined) {
          const claimed = await trx
            .insertInto('idempotency_keys')
            .values({ scope: `batch:${runId}`, key: idempotencyKey, resource_id: runId, created_at: Date.now() })
            .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
            .returning('key')
            .executeTakeFirst();
          if (!claimed) return;
        }
        await this.insertParams(trx, runId, batch.params);
        if (batch.tags.length > 0) {
          await trx
            .insertInto('tags')
            .values(batch.tags.map((t) => ({ run_uuid: runId, key: t.key, value: t.value })))
            .onConflict((oc) => oc.columns(['run_uuid', 'key']).doUpdateSet({ value: (eb) => eb.ref('excluded.value') }))
            .execute();
        }
        if (batch.metrics.length > 0) await this.insertMetrics(trx, runId, batch.metrics);
        if (runName !== undefined) await this.rename(trx, runId, runName);
      }),
    );
  }

  /**
   * Params are immutable. Insert-if-absent, then compare what was already there: under concurrency the
   * losing writer sees the winner's committed row and fails, instead of silently keeping the other value.
   */
  private async insertParams(trx: Db, runId: string, params: readonly KeyValue[]): Promise<void> {
    if (params.length === 0) return;
    const inserted = await trx
      .insertInto('params')
      .values(params.map((p) => ({ run_uuid: runId, key: p.key, value: p.value })))
      .onConflict((oc) => oc.columns(['run_uuid', 'key']).doNothing())
      .returning('key')
      .execute();
    if (inserted.length === params.length) return;
    const fresh = new Set(inserted.map((r) => r.key));
    const existingKeys = params.filter((p) => !fresh.has(p.key)).map((p) => p.key);
    const existing = await trx.selectFrom('params').select(['key', 'value']).where('run_uuid', '=', runId).where('key', 'in', existingKeys).execute();
    const stored = new Map(existing.map((r) => [r.key, r.value]));
    for (const p of params) {
      const old = stored.get(p.key);
      if (old !== undefined && old !== p.value) {
        throw invalid(
          `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${old}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
        );
      }
    }
  }

  private async insertMetrics(trx: Db, runId: string, metrics: readonly LoggedMetric[]): Promise<void> {
    await this.insertLoggedModelMetrics(trx, runId, metrics);
    // The latest point of each key; rows are made for these few only, the batch's points go straight into `values`.
    const latest = new Map<string, LoggedMetric>();
    for (let from = 0, count = 0; from < metrics.length; from += count) {
      // Whole chunks, then powers of two: at most eleven statement texts ever, each prepared once.
      const remaining = metrics.length - from;
      count = remaining >= INSERT_CHUNK ? INSERT_CHUNK : 2 ** Math.floor(Math.log2(remaining));
      const values = new Array<string | number>(count * METRIC_COLUMNS);
      for (let i = 0, at = 0; i < count; i++) {
        const m = metrics[from + i]!;
        const v = m.value;
        values[at++] = runId;
        values[at++] = m.key;
        values[at++] = storedValue(v);
        values[at++] = m.timestamp;
        values[at++] = m.step;
        values[at++] = v !== v ? 1 : 0;
        const cur = latest.get(m.key);
        if (!cur || isLater(m, cur)) latest.set(m.key, m);
      }
      // A point already stored, or repeated in the batch, is skipped as MLflow does (a retried batch adds nothing).
      await trx.executeQuery(CompiledQuery.raw(this.pointInsert(count), values));
    }
    const points = [...latest.values()];
    for (let from = 0, count = 0; from < points.length; from += count) {
      const remaining = points.length - from;
      count = remaining >= INSERT_CHUNK ? INSERT_CHUNK : 2 ** Math.floor(Math.log2(remaining));
      const values: (string | number)[] = [];
      for (let i = from; i < from + count; i++) {
        const r = toMetricRow(runId, points[i]!);
        values.push(r.run_uuid, r.key, r.value, r.timestamp, r.step, r.is_nan);
      }
      await trx.executeQuery(CompiledQuery.raw(this.latestUpsert(count), values));
    }
  }

  /** A metric logged with a `model_id` is the model's too, as MLflow 3 keeps it (with the dataset it was measured on). */
  private async insertLoggedModelMetrics(trx: Db, runId: string, metrics: readonly LoggedMetric[]): Promise<void> {
    const rows = [];
    for (const m of metrics) {
      if (m.modelId === undefined) continue;
      rows.push({ ...toMetricRow(runId, m), model_id: m.modelId, dataset_name: m.datasetName ?? null, dataset_digest: m.datasetDigest ?? null });
    }
    if (rows.length === 0) return;
    try {
      await trx
        .insertInto('logged_model_metrics')
        .values(rows)
        .onConflict((oc) => oc.columns(['model_id', 'key', 'timestamp', 'step', 'run_uuid']).doUpdateSet({
          value: (eb) => eb.ref('excluded.value'),
          is_nan: (eb) => eb.ref('excluded.is_nan'),
          dataset_name: (eb) => eb.ref('excluded.dataset_name'),
          dataset_digest: (eb) => eb.ref('excluded.dataset_digest'),
        }))
        .execute();
    } catch (err) {
      if (isForeignKeyViolation(err)) throw missing({ kind: 'logged-model', modelId: rows.map((r) => r.model_id).join(', ') });
      throw err;
    }
  }

  async deleteTag(runId: string, key: string): Promise<boolean> {
    const r = await this.guard(() => this.db.deleteFrom('tags').where('run_uuid', '=', runId).where('key', '=', key).executeTakeFirst());
    return Number(r.numDeletedRows) > 0;
  }

  async logInputs(runId: string, experimentId: string, inputs: readonly DatasetInput[], modelIds: readonly string[] = []): Promise<void> {
    if (inputs.length === 0 && modelIds.length === 0) return;
    await this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        if (modelIds.length > 0) {
          try {
            await trx
              .insertInto('run_model_inputs')
              .values([...new Set(modelIds)].map((model_id) => ({ run_uuid: runId, model_id })))
              .onConflict((oc) => oc.doNothing())
              .execute();
          } catch (err) {
            if (isForeignKeyViolation(err)) throw missing({ kind: 'logged-model', modelId: modelIds.join(', ') });
            throw err;
          }
        }
        for (const input of inputs) {
          const d = input.dataset;
          await trx
            .insertInto('datasets')
            .values({
              dataset_uuid: randomUUID(), experiment_id: Number(experimentId), name: d.name, digest: d.digest,
              source_type: d.sourceType, source: d.source, schema: d.schema ?? null, profile: d.profile ?? null,
            })
            .onConflict((oc) => oc.columns(['experiment_id', 'name', 'digest']).doNothing())
            .execute();
          const { dataset_uuid } = await trx
            .selectFrom('datasets')
            .select('dataset_uuid')
            .where('experiment_id', '=', Number(experimentId))
            .where('name', '=', d.name)
            .where('digest', '=', d.digest)
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('run_inputs')
            .values({ run_uuid: runId, dataset_uuid, tags: JSON.stringify(input.tags) })
            .onConflict((oc) => oc.columns(['run_uuid', 'dataset_uuid']).doUpdateSet({ tags: JSON.stringify(input.tags) }))
            .execute();
        }
      }),
    );
  }

  async searchRuns(q: RunQuery): Promise<Page<Run>> {
    const experimentIds = q.experimentIds.map(experimentKey).filter((id): id is number => id !== undefined);
    if (experimentIds.length === 0) return { items: [] };
    const { joins, order } = orderClauses(q.orderBy, runColumns);
    order.push(sql`r.start_time desc`, sql`r.run_uuid asc`);
    const stages = sql.join(stageFilter(q.viewType).map((s) => sql`${s}`));
    const result = await sql<RunRow>`
      select r.* from runs r ${joins}
      where r.experiment_id in (${sql.join(experimentIds.map((id) => sql`${id}`))})
        and r.lifecycle_stage in (${stages})
        and ${whereClause(q.filter, runColumns)}
      order by ${sql.join(order)}
      limit ${q.maxResults + 1} offset ${q.offset}`.execute(this.db);
    const items = await this.hydrate(result.rows.slice(0, q.maxResults));
    return result.rows.length > q.maxResults ? { items, nextOffset: q.offset + q.maxResults } : { items };
  }

  async listViews(experimentId: string): Promise<SavedView[]> {
    const id = experimentKey(experimentId);
    if (id === undefined) return [];
    const rows = await this.db.selectFrom('experiment_views').selectAll().where('experiment_id', '=', id).orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, query: r.query, createdBy: r.created_by, updatedAt: Number(r.updated_at) }));
  }

  async saveView(experimentId: string, view: SavedView): Promise<void> {
    const id = experimentKey(experimentId);
    if (id === undefined) throw missing({ kind: 'experiment', experimentId });
    await this.db
      .insertInto('experiment_views')
      .values({ experiment_id: id, name: view.name, query: view.query, created_by: view.createdBy, updated_at: view.updatedAt })
      .onConflict((oc) => oc.columns(['experiment_id', 'name']).doUpdateSet({ query: view.query, created_by: view.createdBy, updated_at: view.updatedAt }))
      .execute();
  }

  async deleteView(experimentId: string, name: string): Promise<boolean> {
    const id = experimentKey(experimentId);
    if (id === undefined) return false;
    const result = await this.db.deleteFrom('experiment_views').where('experiment_id', '=', id).where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async countRuns(q: Pick<RunQuery, 'experimentIds' | 'filter' | 'viewType'>): Promise<number> {
    const experimentIds = q.experimentIds.map(experimentKey).filter((id): id is number => id !== undefined);
    if (experimentIds.length === 0) return 0;
    const stages = sql.join(stageFilter(q.viewType).map((s) => sql`${s}`));
    const row = await sql<{ n: number | string }>`
      select count(*) as n from runs r
      where r.experiment_id in (${sql.join(experimentIds.map((id) => sql`${id}`))})
        and r.lifecycle_stage in (${stages})
        and ${whereClause(q.filter, runColumns)}`.execute(this.db);
    return Number(row.rows[0]?.n ?? 0);
  }

  async datasetSummaries(experimentIds: readonly string[], limit: number): Promise<DatasetSummary[]> {
    const ids = experimentIds.map(experimentKey).filter((id): id is number => id !== undefined);
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('datasets')
      .innerJoin('run_inputs', 'run_inputs.dataset_uuid', 'datasets.dataset_uuid')
      .select(['datasets.experiment_id', 'datasets.name', 'datasets.digest', 'run_inputs.tags'])
      .where('datasets.experiment_id', 'in', ids)
      .orderBy('datasets.experiment_id')
      .orderBy('datasets.name')
      .orderBy('datasets.digest')
      .execute();
    const seen = new Map<string, DatasetSummary>();
    for (const r of rows) {
      // Input tags are stored as the JSON list the client sent; the context is one of them.
      const context = (JSON.parse(r.tags) as KeyValue[]).find((t) => t.key === 'mlflow.data.context')?.value;
      const summary = { experimentId: String(r.experiment_id), name: r.name, digest: r.digest, ...(context !== undefined ? { context } : {}) };
      seen.set(JSON.stringify([summary.experimentId, r.name, r.digest, context ?? null]), summary);
      if (seen.size >= limit) break;
    }
    return [...seen.values()];
  }

  async getMetricHistory(runId: string, key: string, page: { maxResults: number; after?: HistoryPosition }): Promise<HistoryPage> {
    const rows = (await this.guard(() => selectArrays(this.db, sql`select timestamp, step, value, is_nan from metrics
      where ${historyRange(runId, key, page.after)} order by ${HISTORY_ORDER} limit ${page.maxResults + 1}`))) as [number, number, number, number][];
    const shown = Math.min(rows.length, page.maxResults);
    const items = new Array<Metric>(shown);
    for (let i = 0; i < shown; i++) {
      const r = rows[i]!;
      items[i] = { key, value: r[3] ? NaN : Number(r[2]), timestamp: Number(r[0]), step: Number(r[1]) };
    }
    const last = rows[shown - 1];
    return rows.length > shown && last ? { items, next: [Number(last[0]), Number(last[1]), Number(last[2]), Number(last[3])] } : { items };
  }

  /**
   * SQLite writes the page's JSON itself, one text for the page: a row per point (an array of four values for the
   * driver to make, then an object, then its serialization) cost several times the read. SQLite writes a double
   * with the digits it needs to read back as the same double (17 at most; `2.0` for 2, `1.0e-07` for 1e-7), which
   * any JSON reader takes as the same number. The last shown point and whether one follows come from a second
   * read in the same transaction.
   *
   * A page that has a next one reads that one ahead, after this answer is on its way: a client reading a long
   * history asks for it while it decodes this one, and finds it read (see `readAhead`).
   */
  async getMetricHistoryJson(runId: string, key: string, page: { maxResults: number; after?: HistoryPosition }): Promise<HistoryJsonPage | undefined> {
    if (this.dialect !== 'sqlite') return undefined;
    const result = (await this.readAhead.take(runId, key, page)) ?? (await this.guard(() => this.db.transaction().execute((trx) => historyJsonPage(trx, runId, key, page))));
    if (result.next) this.readAhead.schedule(runId, key, { maxResults: page.maxResults, after: result.next });
    return result;
  }

  async getMetricHistoryBulkInterval(
    runIds: readonly string[], key: string, range: { startStep?: number; endStep?: number; maxSteps: number },
  ): Promise<MetricWithRun[]> {
    if (runIds.length === 0) return [];
    const ofRuns = this.db.selectFrom('metrics').where('run_uuid', 'in', runIds).where('key', '=', key);
    // Each run's first and last step and how many distinct steps it has (PostgreSQL: from the step index alone). A run that
    // logged every step in between (the usual case) needs no list of its steps read: only runs with gaps do.
    const bounds = (await ofRuns
      .select(['run_uuid', (eb) => eb.fn.min('step').as('first'), (eb) => eb.fn.max('step').as('last'), (eb) => eb.fn.count('step').distinct().as('n'), (eb) => eb.fn.countAll().as('points')])
      .groupBy('run_uuid').execute()).map((b) => ({ first: Number(b.first), last: Number(b.last), n: Number(b.n), points: Number(b.points) }));
    const distinctSteps = bounds.every((b) => b.last - b.first + 1 === b.n)
      ? unionOfStepRanges(bounds)
      : (await ofRuns.select('step').distinct().orderBy('step').execute()).map((r) => Number(r.step));
    const steps = sampleSteps(distinctSteps, bounds.flatMap((b) => [b.first, b.last]), range);
    if (steps.length === 0) return [];
    // One query for all runs (a chunk of steps at a time, though MLflow's bounds keep it to one): each run's
    // points in step order, at most MLflow's cap per run. Every step picked (a history no longer than the
    // sample): no list of steps to match.
    const everyStep = steps.length === distinctSteps.length;
    const byRun = new Map<string, MetricWithRun[]>(runIds.map((id) => [id, []]));
    const capped = bounds.some((b) => b.points > BULK_MAX_POINTS_PER_RUN);
    for (const part of everyStep ? [undefined] : chunks(steps, BULK_STEP_CHUNK)) {
      const stepFilter = part ? sql` and step in (${sql.join(part)})` : sql``;
      const ofKey = sql`from metrics where run_uuid in (${sql.join([...byRun.keys()])}) and key = ${key}${stepFilter}`;
      // PostgreSQL reads in the step index's order, no sort (SQLite has no step index: see migration 0065); only a run with more points than the cap (many at one step) needs
      // the database to number each run's points and leave out those beyond it.
      const rows = (await this.guard(() => selectArrays(this.db, capped
        ? sql`select run_uuid, value, timestamp, step, is_nan from (
            select run_uuid, value, timestamp, step, is_nan,
              row_number() over (partition by run_uuid order by step, timestamp, value, is_nan) as n
            ${ofKey}) ranked
          where n <= ${BULK_MAX_POINTS_PER_RUN} order by run_uuid, step, timestamp, value, is_nan`
        : sql`select run_uuid, value, timestamp, step, is_nan ${ofKey} order by run_uuid, step, timestamp, value, is_nan`))) as [string, number, number, number, number][];
      for (const r of rows) {
        const points = byRun.get(r[0])!;
        if (points.length < BULK_MAX_POINTS_PER_RUN) {
          points.push({ key, value: r[4] ? NaN : Number(r[1]), timestamp: Number(r[2]), step: Number(r[3]), runId: r[0] });
        }
      }
    }
    const out: MetricWithRun[] = [];
    for (const runId of runIds) out.push(...byRun.get(runId)!);
    return out;
  }
}

/** History order: the clustered key's order after (run, key). */
const HISTORY_ORDER = sql`timestamp, step, value, is_nan`;

/** One page of a metric's history as JSON, read by SQLite in one transaction (see `getMetricHistoryJson`). */
async function historyJsonPage(trx: Kysely<Database>, runId: string, key: string, page: { maxResults: number; after?: HistoryPosition }): Promise<HistoryJsonPage> {
  const range = historyRange(runId, key, page.after);
  const head = `{"key":${JSON.stringify(key)},"value":`;
  // The subquery yields its rows in history order (a range of the clustered key, read in order with a limit),
  // and group_concat joins them in the order they come.
  const [row] = await selectArrays(trx, sql`select cast(group_concat(${head} || case when is_nan = 1 then '"NaN"' else json_quote(value) end
      || ',"timestamp":' || timestamp || ',"step":' || step || '}', ',') as blob), count(*)
    from (select value, timestamp, step, is_nan from metrics where ${range} order by ${HISTORY_ORDER} limit ${page.maxResults})`);
  const count = Number(row?.[1] ?? 0);
  const pointsJson = count > 0 ? (row![0] as Buffer) : Buffer.alloc(0);
  if (count < page.maxResults) return { pointsJson, count };
  const edge = (await selectArrays(trx, sql`select timestamp, step, value, is_nan from metrics
    where ${range} order by ${HISTORY_ORDER} limit 2 offset ${page.maxResults - 1}`)) as [number, number, number, number][];
  const last = edge[0];
  if (edge.length < 2 || !last) return { pointsJson, count };
  return { pointsJson, count, next: [Number(last[0]), Number(last[1]), Number(last[2]), Number(last[3])] };
}

/**
 * The next pages of metric histories, read ahead on SQLite. A client reads a long history a page at a time and
 * decodes each page before it asks for the next (the MLflow client: 25,000 points, 30 ms of Python's json per page
 * here); reading the next page meanwhile, on the server's otherwise idle core, takes the server's read out of the
 * time the client waits.
 *
 * A page read ahead is served only if nothing was written to the database since it was read: it carries the
 * connection's `total_changes()` (every row this connection inserted, updated or deleted, whatever the table or the
 * code path) and `PRAGMA data_version` (which moves when another connection or process commits), both taken in the
 * page's own transaction, and a take compares them with the current ones. Any difference, or an entry older than
 * `READ_AHEAD_TTL_MS`, and the page is read again: a page served from here is the page a read now would give.
 * At most `READ_AHEAD_PAGES` pages are held (about 2 MB each at 25,000 points).
 */
class HistoryReadAhead {
  private readonly pages = new Map<string, { page: HistoryJsonPage; version: string; at: number }>();
  /** Pages served from here, and pages read ahead but read again because something was written since. */
  readonly stats = { served: 0, stale: 0 };

  constructor(private readonly db: Kysely<Database>) {}

  async take(runId: string, key: string, page: { maxResults: number; after?: HistoryPosition }): Promise<HistoryJsonPage | undefined> {
    const id = readAheadId(runId, key, page);
    const held = this.pages.get(id);
    if (!held) return undefined;
    this.pages.delete(id);
    if (Date.now() - held.at > READ_AHEAD_TTL_MS) return undefined;
    if (held.version !== (await dataVersion(this.db))) {
      this.stats.stale++;
      return undefined;
    }
    this.stats.served++;
    return held.page;
  }

  schedule(runId: string, key: string, page: { maxResults: number; after: HistoryPosition }): void {
    // setImmediate: after the handler that asked for this page has written its answer.
    setImmediate(() => {
      this.db.transaction().execute(async (trx) => {
        const version = await dataVersion(trx);
        const read = await historyJsonPage(trx, runId, key, page);
        const id = readAheadId(runId, key, page);
        this.pages.delete(id);
        this.pages.set(id, { page: read, version, at: Date.now() });
        while (this.pages.size > READ_AHEAD_PAGES) this.pages.delete(this.pages.keys().next().value!);
      }).catch(() => {
        // A read ahead that fails (the store closing, a busy database) only means the client's request reads the page.
      });
    });
  }
}

const READ_AHEAD_PAGES = 4;
const READ_AHEAD_TTL_MS = 10_000;

const readAheadId = (runId: string, key: string, page: { maxResults: number; after?: HistoryPosition }) =>
  JSON.stringify([runId, key, page.maxResults, page.after ?? null]);

/** What has been written to the SQLite database, as far as this connection can tell (see HistoryReadAhead). */
async function dataVersion(db: Kysely<Database>): Promise<string> {
  const [changes] = await selectArrays(db, sql`select total_changes()`);
  const [version] = await selectArrays(db, sql`pragma data_version`);
  return `${String(changes?.[0])}/${String(version?.[0])}`;
}

/**
 * One metric's points after `after` in history order. Spelled out rather than as a row-value comparison so both
 * databases seek the (run, key, timestamp, ...) index.
 */
function historyRange(runId: string, key: string, after: HistoryPosition | undefined): Sql {
  const from = after
    ? sql` and timestamp >= ${after[0]} and (timestamp > ${after[0]} or (timestamp = ${after[0]} and (step > ${after[1]}
      or (step = ${after[1]} and (value > ${after[2]} or (value = ${after[2]} and is_nan > ${after[3]}))))))`
    : sql``;
  return sql`run_uuid = ${runId} and key = ${key}${from}`;
}

/** MLflow's cap on the points one run contributes to a bulk-interval answer (MAX_RESULTS_GET_METRIC_HISTORY). */
const BULK_MAX_POINTS_PER_RUN = 25_000;
/** Steps matched per query: more than MLflow's 2,500 sampled steps plus 100 runs' ends, so one query. */
const BULK_STEP_CHUNK = 3000;

/** The sorted distinct steps of runs that each logged every step from `first` to `last`. */
export function unionOfStepRanges(ranges: readonly { first: number; last: number }[]): number[] {
  const out: number[] = [];
  let next = -Infinity;
  for (const { first, last } of [...ranges].sort((x, y) => x.first - y.first)) {
    for (let step = Math.max(first, next); step <= last; step++) out.push(step);
    next = Math.max(next, last + 1);
  }
  return out;
}

/**
 * MLflow's step sampling for get-history-bulk-interval (mlflow/store/tracking/sqlalchemy_store.py): the distinct
 * steps of all runs in [start, end] taken at a fixed fractional interval (num_steps / max_steps, truncated), plus
 * the last step in range and every run's first and last step in range, so each curve keeps its ends. Without a
 * range MLflow starts at step 0 and so drops negative steps; we start at the first step logged instead.
 */
export function sampleSteps(
  sortedSteps: readonly number[], runBounds: readonly number[], range: { startStep?: number; endStep?: number; maxSteps: number },
): number[] {
  if (sortedSteps.length === 0) return [];
  const start = range.startStep ?? sortedSteps[0]!;
  const end = range.endStep ?? sortedSteps[sortedSteps.length - 1]!;
  const inRange = sortedSteps.filter((s) => s >= start && s <= end);
  const picked = new Set(runBounds.filter((s) => s >= start && s <= end));
  if (inRange.length <= range.maxSteps) {
    for (const s of inRange) picked.add(s);
  } else {
    const interval = inRange.length / range.maxSteps;
    for (let i = 0; i < range.maxSteps; i++) picked.add(inRange[Math.floor(i * interval)]!);
    picked.add(inRange[inRange.length - 1]!);
  }
  return [...picked].sort((a, b) => a - b);
}
