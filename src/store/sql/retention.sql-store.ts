import { createHash } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { DeletionJob, PurgedRun, PurgedTraces, RetentionPolicy, RetentionStore, ScopeKind, TraceSelector } from '../../domain/retention/types.js';
import type { DatabaseHandle } from '../db.js';
import type { Database } from '../schema.js';
import type { RetentionTables } from '../tables/retention.tables.js';

const policy = (r: Selectable<RetentionTables['retention_policies']>): RetentionPolicy => ({
  id: r.id, scope: { kind: r.scope_kind as ScopeKind, id: r.scope_id }, maxAgeDays: Number(r.max_age_days), createdBy: r.created_by, createdAt: Number(r.created_at),
});
const job = (r: Selectable<RetentionTables['deletion_jobs']>): DeletionJob => ({
  id: r.id, requestedBy: r.requested_by, reason: r.reason, state: r.state as DeletionJob['state'], total: Number(r.total), deleted: Number(r.deleted),
  counts: JSON.parse(r.counts) as DeletionJob['counts'], error: r.error, createdAt: Number(r.created_at), finishedAt: r.finished_at === null ? null : Number(r.finished_at),
});
const CHUNK = 500;

export class SqlRetentionStore implements RetentionStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  /** One policy per scope: setting it again replaces the age. */
  async putPolicy(p: RetentionPolicy): Promise<RetentionPolicy> {
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('retention_policies').selectAll().where('scope_kind', '=', p.scope.kind).where('scope_id', '=', p.scope.id).executeTakeFirst();
      if (existing) {
        await trx.updateTable('retention_policies').set({ max_age_days: p.maxAgeDays }).where('id', '=', existing.id).execute();
        return { ...policy(existing), maxAgeDays: p.maxAgeDays };
      }
      await trx.insertInto('retention_policies').values({
        id: p.id, scope_kind: p.scope.kind, scope_id: p.scope.id, max_age_days: p.maxAgeDays, created_by: p.createdBy, created_at: p.createdAt,
      }).execute();
      return p;
    });
  }

  async listPolicies(): Promise<RetentionPolicy[]> {
    return (await this.db.selectFrom('retention_policies').selectAll().orderBy('created_at').orderBy('id').execute()).map(policy);
  }

  async deletePolicy(id: string): Promise<boolean> {
    return Number((await this.db.deleteFrom('retention_policies').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
  }

  async runsStartedBefore(before: number, experimentIds: readonly string[] | undefined): Promise<{ runId: string; experimentId: string }[]> {
    const ids = experimentIds?.map(Number).filter(Number.isInteger);
    if (ids && ids.length === 0) return [];
    const chunks = ids ? Array.from({ length: Math.ceil(ids.length / CHUNK) }, (_, i) => ids.slice(i * CHUNK, (i + 1) * CHUNK)) : [undefined];
    const out: { runId: string; experimentId: string }[] = [];
    for (const chunk of chunks) {
      let q = this.db.selectFrom('runs').select(['run_uuid', 'experiment_id']).where('start_time', '<', before);
      if (chunk) q = q.where('experiment_id', 'in', chunk);
      for (const r of await q.orderBy('start_time').execute()) out.push({ runId: r.run_uuid, experimentId: String(r.experiment_id) });
    }
    return out;
  }

  async purgeRun(runId: string): Promise<PurgedRun | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const run = await trx.selectFrom('runs').selectAll().where('run_uuid', '=', runId).executeTakeFirst();
      if (!run) return undefined;
      const hash = createHash('sha256');
      const rows: Record<string, number> = {};
      const take = (table: string, found: readonly unknown[]) => {
        rows[table] = found.length;
        hash.update(`${table}\n`);
        for (const r of found) hash.update(`${JSON.stringify(r)}\n`);
      };
      take('runs', [run]);
      take('params', await trx.selectFrom('params').selectAll().where('run_uuid', '=', runId).orderBy('key').execute());
      take('tags', await trx.selectFrom('tags').selectAll().where('run_uuid', '=', runId).orderBy('key').execute());
      take('metrics', await trx.selectFrom('metrics').selectAll().where('run_uuid', '=', runId).orderBy('key').orderBy('timestamp').orderBy('step').orderBy('value').execute());
      take('latest_metrics', await trx.selectFrom('latest_metrics').selectAll().where('run_uuid', '=', runId).orderBy('key').execute());
      take('run_inputs', await trx.selectFrom('run_inputs').selectAll().where('run_uuid', '=', runId).orderBy('dataset_uuid').execute());
      take('logged_model_metrics', await trx.selectFrom('logged_model_metrics').selectAll().where('run_uuid', '=', runId).orderBy('model_id').orderBy('key').orderBy('timestamp').orderBy('step').execute());
      const touchesRun = (eb: ExpressionBuilder<Database, 'lineage_edges'>) =>
        eb.or([eb.and([eb('from_kind', '=', 'run'), eb('from_id', '=', runId)]), eb.and([eb('to_kind', '=', 'run'), eb('to_id', '=', runId)])]);
      take('lineage_edges', await trx.selectFrom('lineage_edges').selectAll().where(touchesRun).orderBy('from_kind').orderBy('from_id').orderBy('to_kind').orderBy('to_id').orderBy('relation').execute());

      for (const table of ['params', 'tags', 'metrics', 'latest_metrics', 'run_inputs', 'logged_model_metrics'] as const) {
        await trx.deleteFrom(table).where('run_uuid', '=', runId).execute();
      }
      await trx.deleteFrom('lineage_edges').where(touchesRun).execute();
      // A retried create must not resolve to a run that no longer exists.
      await trx.deleteFrom('idempotency_keys').where('resource_id', '=', runId).execute();
      await trx.deleteFrom('runs').where('run_uuid', '=', runId).execute();
      return { runId, experimentId: String(run.experiment_id), artifactUri: run.artifact_uri, rows, digest: hash.digest('hex') };
    });
  }

  async countTracesBefore(before: number, selector: TraceSelector): Promise<number> {
    let q = this.db.selectFrom('llm_traces').select((eb) => eb.fn.countAll<number>().as('n')).where('start_time', '<', before);
    if (selector.project !== undefined) q = q.where('project', '=', selector.project);
    if (selector.name !== undefined) q = q.where('name', '=', selector.name);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  async purgeTraces(target: { before: number; selector: TraceSelector } | { traceIds: readonly string[] }, limit: number): Promise<PurgedTraces> {
    return this.db.transaction().execute(async (trx): Promise<PurgedTraces> => {
      let q = trx.selectFrom('llm_traces').selectAll();
      if ('traceIds' in target) {
        if (target.traceIds.length === 0) return { traces: 0, rows: {}, digest: createHash('sha256').digest('hex') };
        q = q.where('trace_id', 'in', target.traceIds.slice(0, limit));
      } else {
        q = q.where('start_time', '<', target.before);
        if (target.selector.project !== undefined) q = q.where('project', '=', target.selector.project);
        if (target.selector.name !== undefined) q = q.where('name', '=', target.selector.name);
      }
      const traces = await q.orderBy('trace_id').limit(limit).execute();
      const hash = createHash('sha256');
      if (traces.length === 0) return { traces: 0, rows: {}, digest: hash.digest('hex') };
      const ids = traces.map((t) => t.trace_id);
      const spans = [];
      for (let i = 0; i < ids.length; i += CHUNK) {
        spans.push(...await trx.selectFrom('llm_spans').selectAll().where('trace_id', 'in', ids.slice(i, i + CHUNK)).orderBy('trace_id').orderBy('span_id').execute());
      }
      hash.update('llm_traces\n');
      for (const t of traces) hash.update(`${JSON.stringify(t)}\n`);
      hash.update('llm_spans\n');
      for (const sp of spans) hash.update(`${JSON.stringify(sp)}\n`);
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK);
        await trx.deleteFrom('llm_spans').where('trace_id', 'in', chunk).execute();
        await trx.deleteFrom('llm_traces').where('trace_id', 'in', chunk).execute();
      }
      return { traces: traces.length, rows: { llm_traces: traces.length, llm_spans: spans.length }, digest: hash.digest('hex') };
    });
  }

  async traceProjects(traceIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < traceIds.length; i += CHUNK) {
      for (const r of await this.db.selectFrom('llm_traces').select(['trace_id', 'project']).where('trace_id', 'in', traceIds.slice(i, i + CHUNK)).execute()) out.set(r.trace_id, r.project);
    }
    return out;
  }

  async saveJob(j: DeletionJob): Promise<void> {
    const values = {
      requested_by: j.requestedBy, reason: j.reason, state: j.state, total: j.total, deleted: j.deleted, counts: JSON.stringify(j.counts), error: j.error,
      created_at: j.createdAt, finished_at: j.finishedAt,
    };
    await this.db.insertInto('deletion_jobs').values({ id: j.id, ...values }).onConflict((oc) => oc.column('id').doUpdateSet(values)).execute();
  }

  async getJob(id: string): Promise<DeletionJob | undefined> {
    const r = await this.db.selectFrom('deletion_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return r && job(r);
  }
}
