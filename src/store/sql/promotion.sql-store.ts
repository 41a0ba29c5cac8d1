import type { Kysely, Transaction } from 'kysely';
import { alreadyExists, invalidState, notFound } from '../../core/errors.js';
import type { PromotionPolicy } from '../../domain/registry/policy.js';
import type {
  Move, NewPromotionRequest, PromotionStore, RequestCompletion, RequestQuery,
} from '../../domain/registry/registry.store.js';
import type {
  Approval, CheckResult, PromotionRequest, RequestState, Stage, Target, TransitionKind, TransitionRecord,
} from '../../domain/registry/types.js';
import { formatTarget } from '../../domain/registry/validation.js';
import { busyGuard, isUniqueViolation, translateBusy, type DatabaseHandle } from '../db.js';
import type { Database, PromotionRequestsTable } from '../schema.js';

type Trx = Transaction<Database>;
type RequestRow = { [K in keyof PromotionRequestsTable]: K extends 'id' ? number : PromotionRequestsTable[K] } & { name: string; version: number };

const targetColumns = (t: Target) => ({ target_kind: t.kind, target: t.kind === 'stage' ? t.stage : t.alias });
const targetOf = (kind: string, value: string): Target => (kind === 'stage' ? { kind: 'stage', stage: value as Stage } : { kind: 'alias', alias: value });

/** Policies, promotion requests and transition history; every move is one transaction with its history entries. */
export class SqlPromotionStore implements PromotionStore {
  private readonly db: Kysely<Database>;

  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  private readonly guard = busyGuard;

  async getPolicy(name: string): Promise<PromotionPolicy | undefined> {
    const row = await this.db
      .selectFrom('promotion_policies as p')
      .innerJoin('registered_models as rm', 'rm.id', 'p.registered_model_id')
      .select('p.document')
      .where('rm.name', '=', name)
      .executeTakeFirst();
    return row ? (JSON.parse(row.document) as PromotionPolicy) : undefined;
  }

  async setPolicy(name: string, policy: PromotionPolicy, actor: string, now: number): Promise<void> {
    await this.guard(async () => {
      const model = await this.db.selectFrom('registered_models').select('id').where('name', '=', name).executeTakeFirst();
      if (!model) throw notFound(`Registered Model with name=${name}`);
      const row = { registered_model_id: Number(model.id), document: JSON.stringify(policy), updated_by: actor, updated_time: now };
      await this.db
        .insertInto('promotion_policies')
        .values(row)
        .onConflict((oc) => oc.column('registered_model_id').doUpdateSet({ document: row.document, updated_by: actor, updated_time: now }))
        .execute();
    });
  }

  async deletePolicy(name: string): Promise<boolean> {
    const model = await this.db.selectFrom('registered_models').select('id').where('name', '=', name).executeTakeFirst();
    if (!model) return false;
    const r = await this.guard(() => this.db.deleteFrom('promotion_policies').where('registered_model_id', '=', Number(model.id)).executeTakeFirst());
    return Number(r.numDeletedRows) > 0;
  }

  async applyMoves(moves: readonly Move[], completes?: RequestCompletion): Promise<boolean> {
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        if (completes) {
          // The conditional update is the claim: of two concurrent completions only one sees the request pending.
          const claimed = await trx
            .updateTable('promotion_requests')
            .set({ state: 'completed', resolved_by: completes.resolvedBy, checks: JSON.stringify(completes.checks), updated_time: completes.now })
            .where('id', '=', completes.requestId)
            .where('state', '=', 'pending')
            .executeTakeFirst();
          if (Number(claimed.numUpdatedRows) === 0) return false;
        }
        for (const move of moves) await this.applyMove(trx, move, completes?.requestId);
        return true;
      }),
    );
  }

  private async applyMove(trx: Trx, m: Move, requestId: number | undefined): Promise<void> {
    const v = await trx
      .selectFrom('model_versions as mv')
      .innerJoin('registered_models as rm', 'rm.id', 'mv.registered_model_id')
      .select(['mv.id', 'mv.current_stage', 'mv.registered_model_id'])
      .where('rm.name', '=', m.name)
      .where('mv.version', '=', m.version)
      .executeTakeFirst();
    if (!v) throw notFound(`Model Version (name=${m.name}, version=${m.version})`);
    const modelId = Number(v.registered_model_id);
    const record = (version: number, fields: { from_stage?: string; to_stage?: string; previous_version?: number }, reason: string | undefined, checks: readonly CheckResult[]) =>
      trx
        .insertInto('model_version_transitions')
        .values({
          registered_model_id: modelId, version, kind: m.kind, ...targetColumns(m.target),
          from_stage: fields.from_stage ?? null, to_stage: fields.to_stage ?? null, previous_version: fields.previous_version ?? null,
          actor: m.actor, time: m.now, reason: reason ?? null, checks: JSON.stringify(checks), request_id: requestId ?? null,
        })
        .execute();

    if (m.target.kind === 'stage') {
      const stage = m.target.stage;
      if (m.archiveExisting) {
        const others = await trx
          .selectFrom('model_versions')
          .select(['id', 'version'])
          .where('registered_model_id', '=', modelId)
          .where('current_stage', '=', stage)
          .where('id', '!=', Number(v.id))
          .execute();
        if (others.length > 0) {
          await trx.updateTable('model_versions').set({ current_stage: 'Archived', last_updated_time: m.now }).where('id', 'in', others.map((o) => Number(o.id))).execute();
          for (const o of others) {
            await record(Number(o.version), { from_stage: stage, to_stage: 'Archived' }, `archived: version ${m.version} moved to ${stage}`, []);
          }
        }
      }
      await trx.updateTable('model_versions').set({ current_stage: stage, last_updated_time: m.now }).where('id', '=', Number(v.id)).execute();
      await trx.updateTable('registered_models').set({ last_updated_time: m.now }).where('id', '=', modelId).execute();
      await record(m.version, { from_stage: v.current_stage, to_stage: stage }, m.reason, m.checks);
      return;
    }
    const alias = m.target.alias;
    const previous = await trx
      .selectFrom('registered_model_aliases as a')
      .innerJoin('model_versions as mv', 'mv.id', 'a.model_version_id')
      .select('mv.version')
      .where('a.registered_model_id', '=', modelId)
      .where('a.alias', '=', alias)
      .executeTakeFirst();
    await trx
      .insertInto('registered_model_aliases')
      .values({ registered_model_id: modelId, alias, model_version_id: Number(v.id) })
      .onConflict((oc) => oc.columns(['registered_model_id', 'alias']).doUpdateSet({ model_version_id: Number(v.id) }))
      .execute();
    await record(m.version, previous ? { previous_version: Number(previous.version) } : {}, m.reason, m.checks);
  }

  async history(name: string, version?: number): Promise<TransitionRecord[]> {
    let q = this.db
      .selectFrom('model_version_transitions as t')
      .innerJoin('registered_models as rm', 'rm.id', 't.registered_model_id')
      .selectAll('t')
      .select('rm.name')
      .where('rm.name', '=', name);
    if (version !== undefined) q = q.where('t.version', '=', version);
    const rows = await q.orderBy('t.id', 'asc').execute();
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      version: Number(r.version),
      kind: r.kind as TransitionKind,
      target: targetOf(r.target_kind, r.target),
      ...(r.from_stage !== null ? { fromStage: r.from_stage as Stage } : {}),
      ...(r.to_stage !== null ? { toStage: r.to_stage as Stage } : {}),
      ...(r.previous_version !== null ? { previousVersion: Number(r.previous_version) } : {}),
      actor: r.actor,
      time: Number(r.time),
      ...(r.reason !== null ? { reason: r.reason } : {}),
      checks: JSON.parse(r.checks) as CheckResult[],
      ...(r.request_id !== null ? { requestId: Number(r.request_id) } : {}),
    }));
  }

  async createRequest(r: NewPromotionRequest): Promise<number> {
    return this.guard(async () => {
      const v = await this.db
        .selectFrom('model_versions as mv')
        .innerJoin('registered_models as rm', 'rm.id', 'mv.registered_model_id')
        .select('mv.id')
        .where('rm.name', '=', r.name)
        .where('mv.version', '=', r.version)
        .executeTakeFirst();
      if (!v) throw notFound(`Model Version (name=${r.name}, version=${r.version})`);
      try {
        const row = await this.db
          .insertInto('promotion_requests')
          .values({
            model_version_id: Number(v.id), ...targetColumns(r.target), archive_existing: r.archiveExisting ? 1 : 0, requester: r.requester,
            reason: r.reason ?? null, state: 'pending', checks: JSON.stringify(r.checks), created_time: r.now, updated_time: r.now,
            resolved_by: null, resolution: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return Number(row.id);
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`A pending promotion request for version ${r.version} of '${r.name}' to ${formatTarget(r.target)}`);
        throw err;
      }
    });
  }

  private requestRows() {
    return this.db
      .selectFrom('promotion_requests as pr')
      .innerJoin('model_versions as mv', 'mv.id', 'pr.model_version_id')
      .innerJoin('registered_models as rm', 'rm.id', 'mv.registered_model_id')
      .selectAll('pr')
      .select(['rm.name', 'mv.version']);
  }

  async getRequest(id: number): Promise<PromotionRequest | undefined> {
    const row = await this.requestRows().where('pr.id', '=', id).executeTakeFirst();
    return row ? (await this.hydrateRequests([row]))[0] : undefined;
  }

  async listRequests(q: RequestQuery): Promise<PromotionRequest[]> {
    let query = this.requestRows();
    if (q.name !== undefined) query = query.where('rm.name', '=', q.name);
    if (q.version !== undefined) query = query.where('mv.version', '=', q.version);
    if (q.state !== undefined) query = query.where('pr.state', '=', q.state);
    return this.hydrateRequests(await query.orderBy('pr.id', 'desc').limit(1000).execute());
  }

  async pendingRequest(name: string, version: number, target: Target): Promise<PromotionRequest | undefined> {
    const t = targetColumns(target);
    const row = await this.requestRows()
      .where('rm.name', '=', name)
      .where('mv.version', '=', version)
      .where('pr.state', '=', 'pending')
      .where('pr.target_kind', '=', t.target_kind)
      .where('pr.target', '=', t.target)
      .executeTakeFirst();
    return row ? (await this.hydrateRequests([row]))[0] : undefined;
  }

  async addApproval(requestId: number, approval: Approval): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        // Touching the row first locks it on PostgreSQL, so the state read here holds until commit.
        const touched = await trx
          .updateTable('promotion_requests')
          .set({ updated_time: approval.time })
          .where('id', '=', requestId)
          .where('state', '=', 'pending')
          .executeTakeFirst();
        if (Number(touched.numUpdatedRows) === 0) {
          const current = await trx.selectFrom('promotion_requests').select('state').where('id', '=', requestId).executeTakeFirst();
          if (!current) throw notFound(`Promotion request ${requestId}`);
          throw invalidState(`Promotion request ${requestId} is ${current.state}; only pending requests can be approved`);
        }
        await trx
          .insertInto('promotion_approvals')
          .values({ request_id: requestId, user_id: approval.userId, time: approval.time, comment: approval.comment ?? null })
          .execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw invalidState(`User '${approval.userId}' has already approved promotion request ${requestId}`);
      throw translateBusy(err);
    }
  }

  async updateRequestChecks(requestId: number, checks: readonly CheckResult[], now: number): Promise<void> {
    await this.guard(() =>
      this.db.updateTable('promotion_requests').set({ checks: JSON.stringify(checks), updated_time: now }).where('id', '=', requestId).where('state', '=', 'pending').execute(),
    );
  }

  async resolveRequest(requestId: number, state: 'rejected' | 'withdrawn', by: string, resolution: string | undefined, now: number): Promise<boolean> {
    const r = await this.guard(() =>
      this.db
        .updateTable('promotion_requests')
        .set({ state, resolved_by: by, resolution: resolution ?? null, updated_time: now })
        .where('id', '=', requestId)
        .where('state', '=', 'pending')
        .executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) > 0;
  }

  private async hydrateRequests(rows: readonly RequestRow[]): Promise<PromotionRequest[]> {
    if (rows.length === 0) return [];
    const approvals = await this.db
      .selectFrom('promotion_approvals')
      .selectAll()
      .where('request_id', 'in', rows.map((r) => Number(r.id)))
      .orderBy('time')
      .orderBy('user_id')
      .execute();
    const by = new Map<number, Approval[]>();
    for (const a of approvals) {
      const list = by.get(Number(a.request_id)) ?? [];
      list.push({ userId: a.user_id, time: Number(a.time), ...(a.comment !== null ? { comment: a.comment } : {}) });
      by.set(Number(a.request_id), list);
    }
    return rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      version: Number(r.version),
      target: targetOf(r.target_kind, r.target),
      archiveExisting: Number(r.archive_existing) === 1,
      requester: r.requester,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      state: r.state as RequestState,
      checks: JSON.parse(r.checks) as CheckResult[],
      approvals: by.get(Number(r.id)) ?? [],
      createdTime: Number(r.created_time),
      updatedTime: Number(r.updated_time),
      ...(r.resolved_by !== null ? { resolvedBy: r.resolved_by } : {}),
      ...(r.resolution !== null ? { resolution: r.resolution } : {}),
    }));
  }
}
