import { sql, type Kysely, type RawBuilder, type Selectable, type Transaction } from 'kysely';
import { newHexId } from '../../core/ids.js';
import type { DatasetStore, StoredDatasheet } from '../../domain/datasets/datasets.store.js';
import type { NodeFacts } from '../../domain/datasets/lineage-label.js';
import type { DatasetVersion, DatasheetSection, LineageEdge, LineageGraph, LineageNode, NewDatasetVersion } from '../../domain/datasets/types.js';
import type { StoredSuite, StoredValidation, Suite } from '../../domain/validation/types.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database, DatasetVersionsTable } from '../schema.js';

const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

function toVersion(r: Selectable<DatasetVersionsTable>, labels: string[]): DatasetVersion {
  return {
    id: r.version_id, name: r.name, version: Number(r.version), digest: r.digest, size: Number(r.size),
    files: JSON.parse(r.files) as DatasetVersion['files'],
    rowCount: r.row_count === null ? null : Number(r.row_count),
    schema: json(r.schema), profile: json(r.profile),
    ...(json<Pick<DatasetVersion, 'parts' | 'schemaDifferences'>>(r.parts) ?? { parts: null, schemaDifferences: [] }),
    labels,
    createdBy: r.created_by, createdAt: Number(r.created_at),
  };
}

/**
 * Edge sources: recorded edges, plus what other modules already know, read in place rather than copied —
 * MLflow `log-inputs` rows matched to a version by name and digest, runs tagged `dataset_version=name@N`,
 * registered model versions (`name/N`) and MLflow 3 logged models made by a run, and model versions
 * registered from a logged model. Each is a simple join so both databases can reach
 * it through an index from one node.
 */
function edgeSources(dialect: DatabaseHandle['dialect']): RawBuilder<unknown>[] {
  // PostgreSQL pushes a join into UNION ALL branches only when their column types agree exactly (varchar
  // columns vs text literals do not); SQLite would lose its indexes to the same casts.
  const t = (expr: string) => sql.raw(dialect === 'postgres' ? `CAST(${expr} AS TEXT)` : expr);
  // Edges derived from other modules' records are the platform's: their writes were checked on the run they touch.
  const cols = (fromKind: string, fromId: string, toKind: string, toId: string, relation: string, createdAt: string, origin = "'platform'") =>
    sql`${t(fromKind)} AS from_kind, ${t(fromId)} AS from_id, ${t(toKind)} AS to_kind, ${t(toId)} AS to_id, ${t(relation)} AS relation, ${sql.raw(createdAt)} AS created_at, ${t(origin)} AS origin`;
  return [
    sql`SELECT ${cols('from_kind', 'from_id', 'to_kind', 'to_id', 'relation', 'created_at', 'origin')} FROM lineage_edges`,
    sql`SELECT ${cols("'dataset_version'", 'dv.version_id', "'run'", 'ri.run_uuid', "'consumed'", 'dv.created_at')}
      FROM run_inputs ri JOIN datasets d ON d.dataset_uuid = ri.dataset_uuid JOIN dataset_versions dv ON dv.name = d.name AND dv.digest = d.digest`,
    sql`SELECT ${cols("'dataset_version'", 'dv.version_id', "'run'", 't.run_uuid', "'consumed'", 'dv.created_at')}
      FROM tags t JOIN dataset_versions dv ON t.key = 'dataset_version' AND t.value = dv.name || '@' || CAST(dv.version AS TEXT)`,
    sql`SELECT ${cols("'run'", 'mv.run_id', "'model_version'", "rm.name || '/' || CAST(mv.version AS TEXT)", "'produced'", 'mv.creation_time')}
      FROM model_versions mv JOIN registered_models rm ON rm.id = mv.registered_model_id WHERE mv.run_id IS NOT NULL`,
    sql`SELECT ${cols("'run'", 'lm.source_run_id', "'logged_model'", 'lm.model_id', "'produced'", 'lm.creation_time')}
      FROM logged_models lm WHERE lm.source_run_id IS NOT NULL`,
    sql`SELECT ${cols("'logged_model'", 'mv.model_id', "'model_version'", "rm.name || '/' || CAST(mv.version AS TEXT)", "'registered_as'", 'mv.creation_time')}
      FROM model_versions mv JOIN registered_models rm ON rm.id = mv.registered_model_id WHERE mv.model_id IS NOT NULL`,
  ];
}

type Executor = Kysely<Database> | Transaction<Database>;

async function setLabelIn(db: Executor, name: string, label: string, version: number, at: number): Promise<void> {
  await db.insertInto('dataset_labels').values({ name, label, version, updated_at: at })
    .onConflict((oc) => oc.columns(['name', 'label']).doUpdateSet({ version, updated_at: at })).execute();
}

async function insertEdges(db: Executor, given: readonly LineageEdge[]): Promise<void> {
  // PostgreSQL refuses an upsert that touches one row twice: the same edge given twice is given once (the platform's record if either is).
  const unique = new Map<string, LineageEdge>();
  for (const e of given) {
    const key = JSON.stringify([e.from.kind, e.from.id, e.to.kind, e.to.id, e.relation]);
    if (unique.get(key)?.origin !== 'platform') unique.set(key, e);
  }
  const edges = [...unique.values()];
  for (let i = 0; i < edges.length; i += 500) {
    await db.insertInto('lineage_edges')
      .values(edges.slice(i, i + 500).map((e) => ({ from_kind: e.from.kind, from_id: e.from.id, to_kind: e.to.kind, to_id: e.to.id, relation: e.relation, created_at: e.createdAt, origin: e.origin })))
      // The platform's record of an edge outranks a caller's earlier claim of it; a claim never downgrades a record.
      .onConflict((oc) => oc.columns(['from_kind', 'from_id', 'to_kind', 'to_id', 'relation']).doUpdateSet({ origin: sql<string>`CASE WHEN excluded.origin = 'platform' THEN 'platform' ELSE lineage_edges.origin END` }))
      .execute();
  }
}

export class SqlDatasetStore implements DatasetStore {
  private readonly db: Kysely<Database>;
  private readonly dialect: DatabaseHandle['dialect'];
  private readonly edgeSources: RawBuilder<unknown>[];
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
    this.dialect = handle.dialect;
    this.edgeSources = edgeSources(handle.dialect);
  }

  async addVersion(v: NewDatasetVersion, links: { labels: readonly string[]; edges: (versionId: string) => LineageEdge[] }): Promise<{ version: DatasetVersion; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { id, created } = await busyGuard(() =>
          this.db.transaction().execute(async (tx) => {
            const existing = await tx.selectFrom('dataset_versions').select(['version_id', 'version']).where('name', '=', v.name).where('digest', '=', v.digest).executeTakeFirst();
            let version = existing ? Number(existing.version) : 0;
            const versionId = existing?.version_id ?? newHexId();
            if (!existing) {
              const last = await tx.selectFrom('dataset_versions').select((eb) => eb.fn.max('version').as('v')).where('name', '=', v.name).executeTakeFirst();
              version = Number(last?.v ?? 0) + 1;
              await tx.insertInto('dataset_versions').values({
                version_id: versionId, name: v.name, version, digest: v.digest, size: v.size, files: JSON.stringify(v.files),
                row_count: v.rowCount, schema: v.schema ? JSON.stringify(v.schema) : null, profile: v.profile ? JSON.stringify(v.profile) : null,
                parts: v.parts ? JSON.stringify({ parts: v.parts, schemaDifferences: v.schemaDifferences }) : null,
                created_by: v.createdBy, created_at: v.createdAt,
              }).execute();
            }
            for (const label of existing ? links.labels : ['latest', ...links.labels]) await setLabelIn(tx, v.name, label, version, v.createdAt);
            await insertEdges(tx, links.edges(versionId));
            return { id: versionId, created: !existing };
          }),
        );
        return { version: (await this.getVersionById(id))!, created };
      } catch (err) {
        // A concurrent add took the same number or the same bytes: look again.
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
      }
    }
  }

  private async labelsOf(name: string, version: number): Promise<string[]> {
    const rows = await this.db.selectFrom('dataset_labels').select('label').where('name', '=', name).where('version', '=', version).orderBy('label').execute();
    return rows.map((r) => r.label);
  }

  async getVersion(name: string, version: number): Promise<DatasetVersion | undefined> {
    const row = await this.db.selectFrom('dataset_versions').selectAll().where('name', '=', name).where('version', '=', version).executeTakeFirst();
    return row ? toVersion(row, await this.labelsOf(row.name, Number(row.version))) : undefined;
  }

  async getVersionById(id: string): Promise<DatasetVersion | undefined> {
    const row = await this.db.selectFrom('dataset_versions').selectAll().where('version_id', '=', id).executeTakeFirst();
    return row ? toVersion(row, await this.labelsOf(row.name, Number(row.version))) : undefined;
  }

  async resolveLabel(name: string, label: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('dataset_labels').select('version').where('name', '=', name).where('label', '=', label).executeTakeFirst();
    return row ? Number(row.version) : undefined;
  }

  async listVersions(name: string): Promise<DatasetVersion[]> {
    const [rows, labels] = await Promise.all([
      this.db.selectFrom('dataset_versions').selectAll().where('name', '=', name).orderBy('version', 'desc').execute(),
      this.db.selectFrom('dataset_labels').select(['label', 'version']).where('name', '=', name).orderBy('label').execute(),
    ]);
    return rows.map((r) => toVersion(r, labels.filter((l) => Number(l.version) === Number(r.version)).map((l) => l.label)));
  }

  async listNames(): Promise<{ name: string; latestVersion: number; versions: number }[]> {
    const rows = await this.db.selectFrom('dataset_versions')
      .select((eb) => ['name', eb.fn.max('version').as('latest'), eb.fn.countAll().as('n')])
      .groupBy('name').orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, latestVersion: Number(r.latest), versions: Number(r.n) }));
  }

  async setLabel(name: string, label: string, version: number, at: number): Promise<void> {
    await setLabelIn(this.db, name, label, version, at);
  }

  async getDatasheet(name: string): Promise<StoredDatasheet | undefined> {
    const row = await this.db.selectFrom('datasheets').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? { sections: JSON.parse(row.sections) as StoredDatasheet['sections'], updatedBy: row.updated_by, updatedAt: Number(row.updated_at) } : undefined;
  }

  async saveDatasheet(name: string, sections: Partial<Record<DatasheetSection, string>>, by: string, at: number): Promise<void> {
    await busyGuard(() =>
      this.db.transaction().execute(async (tx) => {
        const row = await tx.selectFrom('datasheets').select('sections').where('name', '=', name).$if(this.dialect === 'postgres', (q) => q.forUpdate()).executeTakeFirst();
        const merged: Partial<Record<DatasheetSection, string>> = { ...(row ? (JSON.parse(row.sections) as StoredDatasheet['sections']) : {}), ...sections };
        for (const [key, text] of Object.entries(merged)) if (text === '') delete merged[key as DatasheetSection];
        await tx.insertInto('datasheets').values({ name, sections: JSON.stringify(merged), updated_by: by, updated_at: at })
          .onConflict((oc) => oc.column('name').doUpdateSet({ sections: JSON.stringify(merged), updated_by: by, updated_at: at })).execute();
      }),
    );
  }

  async recordLineage(edges: readonly LineageEdge[]): Promise<void> {
    if (edges.length === 0) return;
    await busyGuard(() => this.db.transaction().execute((tx) => insertEdges(tx, edges)));
  }

  async traverse(root: LineageNode, direction: 'upstream' | 'downstream', depth: number): Promise<LineageGraph> {
    const [near, far] = direction === 'downstream' ? [sql.raw('from'), sql.raw('to')] : [sql.raw('to'), sql.raw('from')];
    // One recursive query; UNION (not UNION ALL) with the depth in the row keeps cycles finite. SQLite runs the
    // step once per queued node but cannot push the join into a compound subquery, so it gets one recursive
    // SELECT per source; PostgreSQL allows only one recursive SELECT and pushes the join into each branch itself.
    const step = (source: RawBuilder<unknown>) => sql`
      SELECT CAST(e.${far}_kind AS TEXT), CAST(e.${far}_id AS TEXT), w.depth + 1
      FROM walk w JOIN (${source}) e ON e.${near}_kind = w.kind AND e.${near}_id = w.id
      WHERE w.depth < ${depth}`;
    const steps = this.dialect === 'sqlite' ? sql.join(this.edgeSources.map(step), sql` UNION `) : step(sql.join(this.edgeSources, sql` UNION ALL `));
    const walk = sql`
      WITH RECURSIVE walk(kind, id, depth) AS (
        SELECT CAST(${root.kind} AS TEXT), CAST(${root.id} AS TEXT), 0
        UNION
        ${steps}
      ),
      reached AS (SELECT kind, id, min(depth) AS depth FROM walk GROUP BY kind, id)`;
    const edgesFrom = sql.join(
      this.edgeSources.map((source) => sql`SELECT e.* FROM reached r JOIN (${source}) e ON e.${near}_kind = r.kind AND e.${near}_id = r.id WHERE r.depth < ${depth}`),
      sql` UNION `,
    );
    const [reached, edgeRows] = await Promise.all([
      sql<{ kind: string; id: string; depth: number }>`${walk} SELECT kind, id, depth FROM reached ORDER BY depth, kind, id`.execute(this.db),
      sql<{ from_kind: string; from_id: string; to_kind: string; to_id: string; relation: string; created_at: number; origin: string }>`${walk}
        SELECT * FROM (${edgesFrom}) x ORDER BY from_kind, from_id, to_kind, to_id, relation, origin`.execute(this.db),
    ]);
    const nodes = reached.rows.map((r) => ({ kind: String(r.kind), id: String(r.id), depth: Number(r.depth) }));
    return {
      root, direction, nodes,
      edges: edgeRows.rows.map((e) => ({ from: { kind: e.from_kind, id: e.from_id }, to: { kind: e.to_kind, id: e.to_id }, relation: e.relation, createdAt: Number(e.created_at), origin: e.origin === 'platform' ? 'platform' : 'user' })),
    };
  }

  async saveSuite(suite: Suite & { digest: string; createdBy: string; createdAt: number }): Promise<{ suite: StoredSuite; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { version, created } = await busyGuard(() =>
          this.db.transaction().execute(async (tx) => {
            const existing = await tx.selectFrom('validation_suites').select('version').where('name', '=', suite.name).where('digest', '=', suite.digest).executeTakeFirst();
            if (existing) return { version: Number(existing.version), created: false };
            const last = await tx.selectFrom('validation_suites').select((eb) => eb.fn.max('version').as('v')).where('name', '=', suite.name).executeTakeFirst();
            const next = Number(last?.v ?? 0) + 1;
            await tx.insertInto('validation_suites').values({
              name: suite.name, version: next, digest: suite.digest, expectations: JSON.stringify(suite.expectations), created_by: suite.createdBy, created_at: suite.createdAt,
            }).execute();
            return { version: next, created: true };
          }),
        );
        return { suite: (await this.getSuite(suite.name, version))!, created };
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
      }
    }
  }

  async getSuite(name: string, version?: number): Promise<StoredSuite | undefined> {
    let query = this.db.selectFrom('validation_suites').selectAll().where('name', '=', name);
    query = version === undefined ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
    const row = await query.executeTakeFirst();
    return row
      ? { name: row.name, version: Number(row.version), digest: row.digest, expectations: JSON.parse(row.expectations) as Suite['expectations'], createdBy: row.created_by, createdAt: Number(row.created_at) }
      : undefined;
  }

  async listSuites(): Promise<{ name: string; latestVersion: number }[]> {
    const rows = await this.db.selectFrom('validation_suites').select((eb) => ['name', eb.fn.max('version').as('latest')]).groupBy('name').orderBy('name').execute();
    return rows.map((r) => ({ name: r.name, latestVersion: Number(r.latest) }));
  }

  async saveValidation(v: StoredValidation): Promise<void> {
    await busyGuard(() =>
      this.db.transaction().execute(async (tx) => {
        await tx.insertInto('validation_results').values({
          result_id: v.id, version_id: v.versionId, suite_name: v.suiteName, suite_version: v.suiteVersion, success: v.success ? 1 : 0,
          result: JSON.stringify(v.result), created_by: v.createdBy, created_at: v.createdAt,
        }).execute();
        await insertEdges(tx, [{ from: { kind: 'dataset_version', id: v.versionId }, to: { kind: 'validation', id: v.id }, relation: 'validated', createdAt: v.createdAt, origin: 'platform' }]);
      }),
    );
  }

  async listValidations(versionId: string): Promise<StoredValidation[]> {
    const rows = await this.db.selectFrom('validation_results').selectAll().where('version_id', '=', versionId).orderBy('created_at', 'desc').orderBy('result_id').execute();
    return rows.map((r) => ({
      id: r.result_id, versionId: r.version_id, suiteName: r.suite_name, suiteVersion: Number(r.suite_version), success: Number(r.success) === 1,
      result: JSON.parse(r.result) as StoredValidation['result'], createdBy: r.created_by, createdAt: Number(r.created_at),
    }));
  }

  async claimBlobs(shas: readonly string[], holder: string, expiresAt: number, staleBefore: number): Promise<string[]> {
    const unique = [...new Set(shas)];
    if (unique.length === 0) return [];
    // Committed on its own before the deletions are read: see DatasetStore.claimBlobs.
    for (let i = 0; i < unique.length; i += 500) {
      await busyGuard(() => this.db.insertInto('dataset_blob_claims')
        .values(unique.slice(i, i + 500).map((sha256) => ({ sha256, holder, expires_at: expiresAt })))
        .onConflict((oc) => oc.columns(['sha256', 'holder']).doUpdateSet({ expires_at: expiresAt }))
        .execute());
    }
    const deleting: string[] = [];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db.selectFrom('dataset_blob_deletions').select('sha256').where('sha256', 'in', unique.slice(i, i + 500)).where('started_at', '>=', staleBefore).execute();
      deleting.push(...rows.map((r) => r.sha256));
    }
    return deleting;
  }

  async releaseClaims(shas: readonly string[], holders: readonly string[]): Promise<void> {
    const unique = [...new Set(shas)];
    for (let i = 0; i < unique.length; i += 500) {
      if (holders.length === 0) break;
      await busyGuard(() => this.db.deleteFrom('dataset_blob_claims').where('sha256', 'in', unique.slice(i, i + 500)).where('holder', 'in', [...holders]).execute());
    }
  }

  async claimedBlobs(shas: readonly string[], now: number): Promise<Set<string>> {
    const claimed = new Set<string>();
    const unique = [...new Set(shas)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db.selectFrom('dataset_blob_claims').select('sha256').distinct().where('sha256', 'in', unique.slice(i, i + 500)).where('expires_at', '>', now).execute();
      for (const r of rows) claimed.add(r.sha256);
    }
    return claimed;
  }

  async beginBlobDeletion(sha: string, now: number, staleBefore: number): Promise<boolean> {
    await busyGuard(() => this.db.deleteFrom('dataset_blob_deletions').where('sha256', '=', sha).where('started_at', '<', staleBefore).execute());
    try {
      await busyGuard(() => this.db.insertInto('dataset_blob_deletions').values({ sha256: sha, started_at: now }).execute());
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
    // Read only after the mark is committed: a writer that claims from now on sees the mark and waits.
    if ((await this.claimedBlobs([sha], now)).size > 0) {
      await this.endBlobDeletion(sha);
      return false;
    }
    return true;
  }

  async endBlobDeletion(sha: string): Promise<void> {
    await busyGuard(() => this.db.deleteFrom('dataset_blob_deletions').where('sha256', '=', sha).execute());
  }

  async referencedBlobs(shas?: readonly string[]): Promise<Set<string>> {
    const referenced = new Set<string>();
    if (shas !== undefined) {
      // A version's files are JSON text; a sha256 is 64 hex digits, so a substring match names exactly that blob.
      for (const sha of new Set(shas)) {
        const hit = await this.db.selectFrom('dataset_versions').select('version_id').where('files', 'like', `%"${sha}"%`).limit(1).executeTakeFirst();
        if (hit) referenced.add(sha);
      }
      return referenced;
    }
    const rows = await this.db.selectFrom('dataset_versions').select('files').execute();
    for (const r of rows) for (const f of JSON.parse(r.files) as { sha256: string }[]) referenced.add(f.sha256);
    return referenced;
  }

  async pruneClaims(now: number, staleBefore: number): Promise<void> {
    await busyGuard(() => this.db.deleteFrom('dataset_blob_claims').where('expires_at', '<=', now).execute());
    await busyGuard(() => this.db.deleteFrom('dataset_blob_deletions').where('started_at', '<', staleBefore).execute());
  }

  async nodeFacts(nodes: readonly LineageNode[]): Promise<NodeFacts> {
    const ids = (kind: string) => [...new Set(nodes.filter((n) => n.kind === kind).map((n) => n.id))];
    const inChunks = async <R>(values: string[], query: (chunk: string[]) => Promise<R[]>) => {
      const rows: R[] = [];
      for (let i = 0; i < values.length; i += 500) rows.push(...(await query(values.slice(i, i + 500))));
      return rows;
    };
    const versions = await inChunks(ids('dataset_version'), (c) => this.db.selectFrom('dataset_versions').select(['version_id', 'name', 'version']).where('version_id', 'in', c).execute());
    const runs = await inChunks(ids('run'), (c) => this.db.selectFrom('runs').select(['run_uuid', 'name']).where('run_uuid', 'in', c).execute());
    const models = await inChunks(ids('logged_model'), (c) => this.db.selectFrom('logged_models').select(['model_id', 'name']).where('model_id', 'in', c).execute());
    const validations = await inChunks(ids('validation'), (c) => this.db.selectFrom('validation_results').select(['result_id', 'suite_name', 'suite_version', 'success']).where('result_id', 'in', c).execute());
    return {
      datasetVersions: new Map(versions.map((r) => [r.version_id, { name: r.name, version: Number(r.version) }])),
      runNames: new Map(runs.filter((r) => r.name).map((r) => [r.run_uuid, r.name])),
      loggedModelNames: new Map(models.filter((r) => r.name).map((r) => [r.model_id, r.name])),
      validations: new Map(validations.map((r) => [r.result_id, { suite: r.suite_name, suiteVersion: Number(r.suite_version), success: Boolean(Number(r.success)) }])),
    };
  }
}
