import type { Kysely, Selectable } from 'kysely';
import type { EntityDef, FeatureStore, FeatureViewDef, ObjectKindName, OnlineRow, OnlineStore, Registered, ViewSkewReport, Watermark } from '../../domain/features/types.js';
import type { DatabaseHandle } from '../db.js';
import type { Database } from '../schema.js';
import type { FeatureTables } from '../tables/features.tables.js';

const CHUNK = 500;
const chunks = <T>(items: readonly T[]): T[][] => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

const registered = <T>(r: Selectable<FeatureTables['feature_definitions']>): Registered<T> => ({
  name: r.name, version: Number(r.version), spec: JSON.parse(r.spec) as T, digest: r.digest, createdBy: r.created_by, createdAt: Number(r.created_at),
});

export class SqlFeatureStore implements FeatureStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  /** The newest version of each name, unless that version is a deletion. */
  private async latest<T>(kind: ObjectKindName): Promise<Registered<T>[]> {
    const rows = await this.db.selectFrom('feature_definitions as d').selectAll('d').where('d.kind', '=', kind)
      .where('d.version', '=', (eb) => eb.selectFrom('feature_definitions as n').select((e) => e.fn.max('n.version').as('v')).where('n.kind', '=', kind).whereRef('n.name', '=', 'd.name'))
      .orderBy('d.name').execute();
    return rows.filter((r) => Number(r.deleted) === 0).map((r) => registered<T>(r));
  }

  latestEntities(): Promise<Registered<EntityDef>[]> {
    return this.latest<EntityDef>('entity');
  }

  latestViews(): Promise<Registered<FeatureViewDef>[]> {
    return this.latest<FeatureViewDef>('feature_view');
  }

  async viewVersions(name: string): Promise<Registered<FeatureViewDef>[]> {
    const rows = await this.db.selectFrom('feature_definitions').selectAll().where('kind', '=', 'feature_view').where('name', '=', name).where('deleted', '=', 0).orderBy('version', 'desc').execute();
    return rows.map((r) => registered<FeatureViewDef>(r));
  }

  async definitionsStamp(): Promise<string> {
    // Definitions are only ever inserted (a deletion is a new row), so the count and the newest time move on every apply.
    const row = await this.db.selectFrom('feature_definitions').select((e) => [e.fn.countAll().as('n'), e.fn.max('created_at').as('t')]).executeTakeFirst();
    return `${Number(row?.n ?? 0)}:${Number(row?.t ?? 0)}`;
  }

  async lastVersion(kind: ObjectKindName, name: string): Promise<number> {
    const row = await this.db.selectFrom('feature_definitions').select((e) => e.fn.max('version').as('v')).where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
    return Number(row?.v ?? 0);
  }

  async apply(changes: Parameters<FeatureStore['apply']>[0]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const next = async (kind: ObjectKindName, name: string) =>
        Number((await trx.selectFrom('feature_definitions').select((e) => e.fn.max('version').as('v')).where('kind', '=', kind).where('name', '=', name).executeTakeFirst())?.v ?? 0) + 1;
      const rows = [...changes.entities.map((e) => ['entity', e] as const), ...changes.views.map((v) => ['feature_view', v] as const)];
      for (const [kind, r] of rows) {
        await trx.insertInto('feature_definitions').values({
          kind, name: r.name, version: r.version, spec: JSON.stringify(r.spec), digest: r.digest, deleted: 0, created_by: r.createdBy, created_at: r.createdAt,
        }).execute();
      }
      for (const d of changes.deleted) {
        await trx.insertInto('feature_definitions').values({
          kind: d.kind, name: d.name, version: await next(d.kind, d.name), spec: '{}', digest: '', deleted: 1, created_by: '', created_at: changes.at,
        }).execute();
      }
    });
  }

  async watermarks(): Promise<Watermark[]> {
    const rows = await this.db.selectFrom('feature_watermarks').selectAll().orderBy('view').execute();
    return rows.map((r) => ({ view: r.view, until: Number(r.until), rows: Number(r.row_count), updatedAt: Number(r.updated_at) }));
  }

  async setWatermark(w: Watermark): Promise<void> {
    await this.db.insertInto('feature_watermarks').values({ view: w.view, until: w.until, row_count: w.rows, updated_at: w.updatedAt })
      .onConflict((oc) => oc.column('view').doUpdateSet({ until: w.until, row_count: w.rows, updated_at: w.updatedAt })).execute();
  }

  async saveSkewReport(r: ViewSkewReport): Promise<void> {
    const report = JSON.stringify({ rows: r.rows, tolerance: r.tolerance, features: r.features });
    await this.db.insertInto('feature_skew_reports').values({ view: r.view, report, checked_by: r.checkedBy, checked_at: r.checkedAt })
      .onConflict((oc) => oc.column('view').doUpdateSet({ report, checked_by: r.checkedBy, checked_at: r.checkedAt })).execute();
  }

  async skewReport(view: string): Promise<ViewSkewReport | undefined> {
    const row = await this.db.selectFrom('feature_skew_reports').selectAll().where('view', '=', view).executeTakeFirst();
    if (!row) return undefined;
    const body = JSON.parse(row.report) as Pick<ViewSkewReport, 'rows' | 'tolerance' | 'features'>;
    return { view: row.view, ...body, checkedBy: row.checked_by, checkedAt: Number(row.checked_at) };
  }
}

/** The default online store: a table in the metadata database (SQLite or PostgreSQL). */
export class SqlOnlineStore implements OnlineStore {
  readonly name = 'sql';
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async write(view: string, rows: readonly OnlineRow[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const chunk of chunks(rows)) {
        await trx.insertInto('feature_online')
          .values(chunk.map((r) => ({ view, entity_key: r.key, feature_values: JSON.stringify(r.values), event_time: r.eventTime })))
          .onConflict((oc) => oc.columns(['view', 'entity_key']).doUpdateSet((eb) => ({ feature_values: eb.ref('excluded.feature_values'), event_time: eb.ref('excluded.event_time') }))
            .where('feature_online.event_time', '<=', (eb) => eb.ref('excluded.event_time')))
          .execute();
      }
    });
  }

  async read(view: string, keys: readonly string[]): Promise<(OnlineRow | undefined)[]> {
    const found = new Map<string, OnlineRow>();
    for (const chunk of chunks([...new Set(keys)])) {
      const rows = await this.db.selectFrom('feature_online').select(['entity_key', 'feature_values', 'event_time']).where('view', '=', view).where('entity_key', 'in', chunk).execute();
      for (const r of rows) found.set(r.entity_key, { key: r.entity_key, values: JSON.parse(r.feature_values) as Record<string, unknown>, eventTime: Number(r.event_time) });
    }
    return keys.map((k) => found.get(k));
  }

  async drop(view: string): Promise<void> {
    await this.db.deleteFrom('feature_online').where('view', '=', view).execute();
  }

  async close(): Promise<void> {}
}
