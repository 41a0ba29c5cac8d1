import { sql, type Kysely, type Transaction } from 'kysely';
import { alreadyExists, invalid, notFound } from '../../core/errors.js';
import type { NewModelVersion, NewRegisteredModel, RegistryQuery, RegistryStore } from '../../domain/registry/registry.store.js';
import { IS_PROMPT_TAG } from '../../domain/registry/search.js';
import type { ModelMetadata, ModelVersion, RegisteredModel, Stage } from '../../domain/registry/types.js';
import type { KeyValue, Page } from '../../domain/tracking/types.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database, ModelVersionsTable, RegisteredModelsTable } from '../schema.js';
import { orderClauses, whereClause, type EntityColumns, type Sql } from './run-search.sql.js';

type Db = Kysely<Database> | Transaction<Database>;
type ModelRow = { [K in keyof RegisteredModelsTable]: K extends 'id' ? number : RegisteredModelsTable[K] };
type VersionRow = { [K in keyof ModelVersionsTable]: K extends 'id' ? number : ModelVersionsTable[K] } & { name: string };

/** IN lists are cut to this size: far below SQLite's and PostgreSQL's bound-parameter limits. */
const IN_CHUNK = 10_000;

const MODEL_ATTRIBUTES: Record<string, string> = { name: 'name', last_updated_timestamp: 'last_updated_time', timestamp: 'last_updated_time' };
const VERSION_ATTRIBUTES: Record<string, string> = {
  name: 'rm.name', version_number: 'mv.version', run_id: 'mv.run_id', source_path: 'mv.source',
  creation_timestamp: 'mv.creation_time', last_updated_timestamp: 'mv.last_updated_time',
};

const modelColumns: EntityColumns = {
  id: sql.ref('rm.id'),
  tagTable: 'registered_model_tags',
  tagOwner: 'registered_model_id',
  attribute: (key): Sql => {
    const col = MODEL_ATTRIBUTES[key];
    if (!col) throw invalid(`Invalid attribute name: ${key}`);
    return sql.ref(`rm.${col}`);
  },
};
const versionColumns: EntityColumns = {
  id: sql.ref('mv.id'),
  tagTable: 'model_version_tags',
  tagOwner: 'model_version_id',
  attribute: (key): Sql => {
    const col = VERSION_ATTRIBUTES[key];
    if (!col) throw invalid(`Invalid attribute name: ${key}`);
    return sql.ref(col);
  },
};

const notPromptModel = sql`not exists (select 1 from registered_model_tags pt where pt.registered_model_id = rm.id and pt.key = ${IS_PROMPT_TAG} and pt.value = 'true')`;
const notPromptVersion = sql`not exists (select 1 from model_version_tags pt where pt.model_version_id = mv.id and pt.key = ${IS_PROMPT_TAG} and pt.value = 'true')`;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_CHUNK) out.push(items.slice(i, i + IN_CHUNK));
  return out;
}

function groupBy<T, K, U>(list: readonly T[], key: (x: T) => K, map: (x: T) => U): Map<K, U[]> {
  const m = new Map<K, U[]>();
  for (const x of list) {
    const k = key(x);
    const arr = m.get(k);
    if (arr) arr.push(map(x));
    else m.set(k, [map(x)]);
  }
  return m;
}

function versionRows(db: Db) {
  return db
    .selectFrom('model_versions as mv')
    .innerJoin('registered_models as rm', 'rm.id', 'mv.registered_model_id')
    .selectAll('mv')
    .select('rm.name as name');
}

/** Each model's newest version in each stage: what get-latest-versions and a model's `latest_versions` show. */
function newestPerStage(db: Db) {
  return versionRows(db).where((eb) =>
    eb(
      'mv.version',
      '=',
      eb
        .selectFrom('model_versions as newer')
        .select((e) => e.fn.max('newer.version').as('v'))
        .whereRef('newer.registered_model_id', '=', 'mv.registered_model_id')
        .whereRef('newer.current_stage', '=', 'mv.current_stage'),
    ),
  );
}

/** The registry's models and versions, one Kysely code path for SQLite and PostgreSQL. */
export class SqlRegistryStore implements RegistryStore {
  private readonly db: Kysely<Database>;

  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  private readonly guard = busyGuard;

  private async modelId(db: Db, name: string): Promise<number | undefined> {
    const row = await db.selectFrom('registered_models').select('id').where('name', '=', name).executeTakeFirst();
    return row ? Number(row.id) : undefined;
  }

  private async versionId(db: Db, name: string, version: number): Promise<number | undefined> {
    const row = await db
      .selectFrom('model_versions as mv')
      .innerJoin('registered_models as rm', 'rm.id', 'mv.registered_model_id')
      .select('mv.id')
      .where('rm.name', '=', name)
      .where('mv.version', '=', version)
      .executeTakeFirst();
    return row ? Number(row.id) : undefined;
  }

  async createRegisteredModel(m: NewRegisteredModel): Promise<void> {
    await this.guard(async () => {
      try {
        await this.db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('registered_models')
            .values({ name: m.name, description: m.description ?? null, creation_time: m.now, last_updated_time: m.now, last_version: 0 })
            .returning('id')
            .executeTakeFirstOrThrow();
          if (m.tags.length > 0) {
            await trx.insertInto('registered_model_tags').values(m.tags.map((t) => ({ registered_model_id: Number(row.id), key: t.key, value: t.value }))).execute();
          }
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${m.name})`);
        throw err;
      }
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    const row = await this.db.selectFrom('registered_models').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? (await this.hydrateModels([row]))[0] : undefined;
  }

  async renameRegisteredModel(name: string, newName: string, now: number): Promise<void> {
    await this.guard(async () => {
      try {
        await this.db.transaction().execute(async (trx) => {
          const id = await this.modelId(trx, name);
          if (id === undefined) throw notFound(`Registered Model with name=${name}`);
          await trx.updateTable('registered_models').set({ name: newName, last_updated_time: now }).where('id', '=', id).execute();
          await trx.updateTable('model_versions').set({ last_updated_time: now }).where('registered_model_id', '=', id).execute();
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`Registered Model (name=${newName})`);
        throw err;
      }
    });
  }

  async updateRegisteredModel(name: string, description: string | undefined, now: number): Promise<boolean> {
    const r = await this.guard(() =>
      this.db.updateTable('registered_models').set({ description: description ?? null, last_updated_time: now }).where('name', '=', name).executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) > 0;
  }

  async deleteRegisteredModel(name: string): Promise<boolean> {
    const r = await this.guard(() => this.db.deleteFrom('registered_models').where('name', '=', name).executeTakeFirst());
    return Number(r.numDeletedRows) > 0;
  }

  async searchRegisteredModels(q: RegistryQuery): Promise<Page<RegisteredModel>> {
    const { joins, order } = orderClauses(q.orderBy, modelColumns);
    if (!q.orderBy.some((o) => o.key === 'name')) order.push(sql`rm.name asc`);
    const result = await sql<ModelRow>`
      select rm.* from registered_models rm ${joins}
      where ${whereClause(q.filter, modelColumns)} and ${q.excludePrompts ? notPromptModel : sql`1 = 1`}
      order by ${sql.join(order)}
      limit ${q.maxResults + 1} offset ${q.offset}`.execute(this.db);
    const items = await this.hydrateModels(result.rows.slice(0, q.maxResults));
    return result.rows.length > q.maxResults ? { items, nextOffset: q.offset + q.maxResults } : { items };
  }

  async setRegisteredModelTag(name: string, tag: KeyValue): Promise<boolean> {
    return this.guard(async () => {
      const id = await this.modelId(this.db, name);
      if (id === undefined) return false;
      await this.db
        .insertInto('registered_model_tags')
        .values({ registered_model_id: id, key: tag.key, value: tag.value })
        .onConflict((oc) => oc.columns(['registered_model_id', 'key']).doUpdateSet({ value: tag.value }))
        .execute();
      return true;
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<boolean> {
    const id = await this.modelId(this.db, name);
    if (id === undefined) return false;
    await this.guard(() => this.db.deleteFrom('registered_model_tags').where('registered_model_id', '=', id).where('key', '=', key).execute());
    return true;
  }

  async createModelVersion(v: NewModelVersion): Promise<number> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        // The counter row is locked by this update until commit, so concurrent creates get consecutive numbers.
        const model = await trx
          .updateTable('registered_models')
          .set((eb) => ({ last_version: eb('last_version', '+', 1), last_updated_time: v.now }))
          .where('name', '=', v.name)
          .returning(['id', 'last_version'])
          .executeTakeFirst();
        if (!model) throw notFound(`Registered Model with name=${v.name}`);
        const version = Number(model.last_version);
        const row = await trx
          .insertInto('model_versions')
          .values({
            registered_model_id: Number(model.id), version, creation_time: v.now, last_updated_time: v.now,
            description: v.description ?? null, user_id: v.userId, current_stage: 'None', source: v.source,
            storage_location: v.storageLocation, run_id: v.runId ?? null, run_link: v.runLink ?? null, model_id: v.modelId ?? null,
            status: 'READY', model_metadata: v.metadata ? JSON.stringify(v.metadata) : null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        if (v.tags.length > 0) {
          await trx.insertInto('model_version_tags').values(v.tags.map((t) => ({ model_version_id: Number(row.id), key: t.key, value: t.value }))).execute();
        }
        return version;
      }),
    );
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion | undefined> {
    const row = await versionRows(this.db).where('rm.name', '=', name).where('mv.version', '=', version).executeTakeFirst();
    return row ? (await this.hydrateVersions([row]))[0] : undefined;
  }

  async updateModelVersion(name: string, version: number, description: string | undefined, now: number): Promise<boolean> {
    return this.guard(async () => {
      const id = await this.versionId(this.db, name, version);
      if (id === undefined) return false;
      await this.db.updateTable('model_versions').set({ description: description ?? null, last_updated_time: now }).where('id', '=', id).execute();
      return true;
    });
  }

  async deleteModelVersion(name: string, version: number, now: number): Promise<boolean> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        const id = await this.versionId(trx, name, version);
        if (id === undefined) return false;
        await trx.deleteFrom('model_versions').where('id', '=', id).execute();
        await trx.updateTable('registered_models').set({ last_updated_time: now }).where('name', '=', name).execute();
        return true;
      }),
    );
  }

  async searchModelVersions(q: RegistryQuery): Promise<Page<ModelVersion>> {
    const { joins, order } = orderClauses(q.orderBy, versionColumns);
    if (!q.orderBy.some((o) => o.key === 'name')) order.push(sql`rm.name asc`);
    if (!q.orderBy.some((o) => o.key === 'version_number')) order.push(sql`mv.version desc`);
    const result = await sql<VersionRow>`
      select mv.*, rm.name as name from model_versions mv join registered_models rm on rm.id = mv.registered_model_id ${joins}
      where ${whereClause(q.filter, versionColumns)} and ${q.excludePrompts ? sql`${notPromptVersion} and ${notPromptModel}` : sql`1 = 1`}
      order by ${sql.join(order)}
      limit ${q.maxResults + 1} offset ${q.offset}`.execute(this.db);
    const items = await this.hydrateVersions(result.rows.slice(0, q.maxResults));
    return result.rows.length > q.maxResults ? { items, nextOffset: q.offset + q.maxResults } : { items };
  }

  async setModelVersionTag(name: string, version: number, tag: KeyValue): Promise<boolean> {
    return this.guard(async () => {
      const id = await this.versionId(this.db, name, version);
      if (id === undefined) return false;
      await this.db
        .insertInto('model_version_tags')
        .values({ model_version_id: id, key: tag.key, value: tag.value })
        .onConflict((oc) => oc.columns(['model_version_id', 'key']).doUpdateSet({ value: tag.value }))
        .execute();
      return true;
    });
  }

  async deleteModelVersionTag(name: string, version: number, key: string): Promise<boolean> {
    const id = await this.versionId(this.db, name, version);
    if (id === undefined) return false;
    await this.guard(() => this.db.deleteFrom('model_version_tags').where('model_version_id', '=', id).where('key', '=', key).execute());
    return true;
  }

  async latestVersions(name: string, stages: readonly Stage[]): Promise<ModelVersion[]> {
    if (stages.length === 0) return [];
    const rows = await newestPerStage(this.db)
      .where('rm.name', '=', name)
      .where('mv.current_stage', 'in', [...stages])
      .orderBy('mv.version', 'desc')
      .execute();
    return this.hydrateVersions(rows);
  }

  async getAliasVersion(name: string, alias: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('registered_model_aliases as a')
      .innerJoin('registered_models as rm', 'rm.id', 'a.registered_model_id')
      .innerJoin('model_versions as mv', 'mv.id', 'a.model_version_id')
      .select('mv.version')
      .where('rm.name', '=', name)
      .where('a.alias', '=', alias)
      .executeTakeFirst();
    return row ? Number(row.version) : undefined;
  }

  async deleteAlias(name: string, alias: string): Promise<boolean> {
    const id = await this.modelId(this.db, name);
    if (id === undefined) return false;
    await this.guard(() => this.db.deleteFrom('registered_model_aliases').where('registered_model_id', '=', id).where('alias', '=', alias).execute());
    return true;
  }

  /** Tags, aliases and the latest version per stage for a page of models, in a fixed number of queries. */
  private async hydrateModels(rows: readonly ModelRow[]): Promise<RegisteredModel[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => Number(r.id));
    const tags: { registered_model_id: number; key: string; value: string }[] = [];
    const aliases: { registered_model_id: number; alias: string; version: number }[] = [];
    const latest: VersionRow[] = [];
    for (const part of chunks(ids)) {
      const [t, a, l] = await Promise.all([
        this.db.selectFrom('registered_model_tags').selectAll().where('registered_model_id', 'in', part).orderBy('key').execute(),
        this.db
          .selectFrom('registered_model_aliases as a')
          .innerJoin('model_versions as mv', 'mv.id', 'a.model_version_id')
          .select(['a.registered_model_id', 'a.alias', 'mv.version'])
          .where('a.registered_model_id', 'in', part)
          .orderBy('a.alias')
          .execute(),
        newestPerStage(this.db)
          .where('mv.registered_model_id', 'in', part)
          .orderBy('mv.version', 'asc')
          .execute(),
      ]);
      tags.push(...t);
      aliases.push(...a);
      latest.push(...l);
    }
    const tagsBy = groupBy(tags, (t) => Number(t.registered_model_id), (t) => ({ key: t.key, value: t.value }));
    const aliasesBy = groupBy(aliases, (a) => Number(a.registered_model_id), (a) => ({ alias: a.alias, version: Number(a.version) }));
    const latestBy = groupBy(await this.hydrateVersions(latest), (v) => v.name, (v) => v);
    return rows.map((r) => ({
      name: r.name,
      creationTime: Number(r.creation_time),
      lastUpdatedTime: Number(r.last_updated_time),
      ...(r.description !== null ? { description: r.description } : {}),
      tags: tagsBy.get(Number(r.id)) ?? [],
      aliases: aliasesBy.get(Number(r.id)) ?? [],
      latestVersions: latestBy.get(r.name) ?? [],
    }));
  }

  private async hydrateVersions(rows: readonly VersionRow[]): Promise<ModelVersion[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => Number(r.id));
    const tags: { model_version_id: number; key: string; value: string }[] = [];
    const aliases: { model_version_id: number; alias: string }[] = [];
    for (const part of chunks(ids)) {
      const [t, a] = await Promise.all([
        this.db.selectFrom('model_version_tags').selectAll().where('model_version_id', 'in', part).orderBy('key').execute(),
        this.db.selectFrom('registered_model_aliases').select(['model_version_id', 'alias']).where('model_version_id', 'in', part).orderBy('alias').execute(),
      ]);
      tags.push(...t);
      aliases.push(...a);
    }
    const tagsBy = groupBy(tags, (t) => Number(t.model_version_id), (t) => ({ key: t.key, value: t.value }));
    const aliasesBy = groupBy(aliases, (a) => Number(a.model_version_id), (a) => a.alias);
    return rows.map((r) => toModelVersion(r, tagsBy.get(Number(r.id)) ?? [], aliasesBy.get(Number(r.id)) ?? []));
  }
}

function toModelVersion(r: VersionRow, tags: KeyValue[], aliases: string[]): ModelVersion {
  return {
    name: r.name,
    version: Number(r.version),
    creationTime: Number(r.creation_time),
    lastUpdatedTime: Number(r.last_updated_time),
    currentStage: r.current_stage as Stage,
    source: r.source,
    storageLocation: r.storage_location,
    status: 'READY',
    tags,
    aliases,
    ...(r.description !== null ? { description: r.description } : {}),
    ...(r.user_id !== null ? { userId: r.user_id } : {}),
    ...(r.run_id !== null ? { runId: r.run_id } : {}),
    ...(r.run_link !== null ? { runLink: r.run_link } : {}),
    ...(r.model_id !== null ? { modelId: r.model_id } : {}),
    ...(r.model_metadata !== null ? { metadata: JSON.parse(r.model_metadata) as ModelMetadata } : {}),
  };
}
