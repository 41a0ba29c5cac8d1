import type { Kysely, Selectable } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { SweepStore, TrialPatch } from '../../domain/sweeps/sweeps.store.js';
import type { CurvePoint, Sweep, SweepConfig, SweepLease, Trial, TrialState } from '../../domain/sweeps/types.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database } from '../schema.js';
import type { SweepTables } from '../tables/sweeps.tables.js';

/** Objective values as text: String() and Number() round-trip NaN and ±Infinity, which SQLite's REAL would not. */
const num = (v: string | null) => (v === null ? undefined : Number(v));
const curveText = (c: readonly CurvePoint[]) => JSON.stringify(c.map(([s, v]) => [s, Number.isFinite(v) ? v : String(v)]));
const curveOf = (text: string): CurvePoint[] => (JSON.parse(text) as [number, number | string][]).map(([s, v]) => [s, Number(v)]);

const sweepOf = (r: Selectable<SweepTables['sweeps']>): Sweep => ({
  id: r.id, name: r.name, experimentId: r.experiment_id, parentRunId: r.parent_run_id, config: JSON.parse(r.config) as SweepConfig,
  maxTrials: Number(r.max_trials), createdBy: r.created_by, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

const trialOf = (r: Selectable<SweepTables['sweep_trials']>): Trial => ({
  sweepId: r.sweep_id, number: Number(r.number), state: r.state as TrialState, params: JSON.parse(r.params) as Trial['params'], runId: r.run_id,
  ...(r.value !== null ? { value: num(r.value)! } : {}),
  ...(r.step !== null ? { step: Number(r.step) } : {}),
  checkedStep: Number(r.checked_step),
  ...(r.curve !== null ? { curve: curveOf(r.curve) } : {}),
  ...(r.reason !== null ? { reason: r.reason } : {}),
  ...(r.pid !== null ? { pid: Number(r.pid) } : {}),
  ...(r.host !== null ? { host: r.host } : {}),
  attempts: Number(r.attempts), startedAt: Number(r.started_at),
  ...(r.ended_at !== null ? { endedAt: Number(r.ended_at) } : {}),
});

const leaseOf = (r: Selectable<SweepTables['sweep_leases']>): SweepLease => ({
  sweepId: r.sweep_id, controller: r.controller, host: r.host, pid: Number(r.pid), acquiredAt: Number(r.acquired_at), expiresAt: Number(r.expires_at),
});

export class SqlSweepStore implements SweepStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  createSweep(s: Sweep): Promise<void> {
    return busyGuard(async () => {
      try {
        await this.db.insertInto('sweeps').values({
          id: s.id, name: s.name, experiment_id: s.experimentId, parent_run_id: s.parentRunId, config: JSON.stringify(s.config),
          max_trials: s.maxTrials, created_by: s.createdBy, created_at: s.createdAt, updated_at: s.updatedAt,
        }).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`Sweep '${s.id}'`);
        throw err;
      }
    });
  }

  async getSweep(id: string): Promise<Sweep | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('sweeps').selectAll().where('id', '=', id).executeTakeFirst());
    return row ? sweepOf(row) : undefined;
  }

  async listSweeps(query: { experimentIds?: readonly string[]; limit: number }): Promise<Sweep[]> {
    let q = this.db.selectFrom('sweeps').selectAll();
    if (query.experimentIds) {
      if (query.experimentIds.length === 0) return [];
      q = q.where('experiment_id', 'in', [...query.experimentIds]);
    }
    const rows = await busyGuard(() => q.orderBy('created_at', 'desc').orderBy('id').limit(query.limit).execute());
    return rows.map(sweepOf);
  }

  setMaxTrials(id: string, maxTrials: number, updatedAt: number): Promise<void> {
    return busyGuard(async () => {
      await this.db.updateTable('sweeps').set({ max_trials: maxTrials, updated_at: updatedAt }).where('id', '=', id).execute();
    });
  }

  async listTrials(sweepId: string): Promise<Trial[]> {
    const rows = await busyGuard(() => this.db.selectFrom('sweep_trials').selectAll().where('sweep_id', '=', sweepId).orderBy('number').execute());
    return rows.map(trialOf);
  }

  async getTrial(sweepId: string, number: number): Promise<Trial | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('sweep_trials').selectAll().where('sweep_id', '=', sweepId).where('number', '=', number).executeTakeFirst());
    return row ? trialOf(row) : undefined;
  }

  insertTrial(t: Trial): Promise<boolean> {
    return busyGuard(async () => {
      try {
        await this.db.insertInto('sweep_trials').values({
          sweep_id: t.sweepId, number: t.number, state: t.state, params: JSON.stringify(t.params), run_id: t.runId,
          value: t.value === undefined ? null : String(t.value), step: t.step ?? null, checked_step: t.checkedStep,
          curve: t.curve ? curveText(t.curve) : null, reason: t.reason ?? null, pid: t.pid ?? null, host: t.host ?? null,
          attempts: t.attempts, started_at: t.startedAt, ended_at: t.endedAt ?? null,
        }).execute();
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    });
  }

  updateTrial(sweepId: string, number: number, p: TrialPatch, states?: readonly TrialState[]): Promise<boolean> {
    const set: Partial<Selectable<SweepTables['sweep_trials']>> = {
      ...(p.state !== undefined ? { state: p.state } : {}),
      ...(p.runId !== undefined ? { run_id: p.runId } : {}),
      ...(p.value !== undefined ? { value: p.value === null ? null : String(p.value) } : {}),
      ...(p.step !== undefined ? { step: p.step } : {}),
      ...(p.checkedStep !== undefined ? { checked_step: p.checkedStep } : {}),
      ...(p.curve !== undefined ? { curve: p.curve === null ? null : curveText(p.curve) } : {}),
      ...(p.reason !== undefined ? { reason: p.reason } : {}),
      ...(p.pid !== undefined ? { pid: p.pid } : {}),
      ...(p.host !== undefined ? { host: p.host } : {}),
      ...(p.attempts !== undefined ? { attempts: p.attempts } : {}),
      ...(p.startedAt !== undefined ? { started_at: p.startedAt } : {}),
      ...(p.endedAt !== undefined ? { ended_at: p.endedAt } : {}),
    };
    return busyGuard(async () => {
      let q = this.db.updateTable('sweep_trials').set(set).where('sweep_id', '=', sweepId).where('number', '=', number);
      if (states) q = q.where('state', 'in', [...states]);
      const result = await q.executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  addRungValues(sweepId: string, number: number, values: readonly { rung: number; value: number }[]): Promise<void> {
    if (values.length === 0) return Promise.resolve();
    return busyGuard(async () => {
      await this.db.insertInto('sweep_rungs').values(values.map((v) => ({ sweep_id: sweepId, number, rung: v.rung, value: String(v.value) })))
        .onConflict((oc) => oc.columns(['sweep_id', 'number', 'rung']).doNothing()).execute();
    });
  }

  async rungValues(sweepId: string): Promise<{ number: number; rung: number; value: number }[]> {
    const rows = await busyGuard(() => this.db.selectFrom('sweep_rungs').selectAll().where('sweep_id', '=', sweepId).orderBy('number').orderBy('rung').execute());
    return rows.map((r) => ({ number: Number(r.number), rung: Number(r.rung), value: Number(r.value) }));
  }

  clearRungs(sweepId: string, number: number): Promise<void> {
    return busyGuard(async () => {
      await this.db.deleteFrom('sweep_rungs').where('sweep_id', '=', sweepId).where('number', '=', number).execute();
    });
  }

  async getLease(sweepId: string): Promise<SweepLease | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('sweep_leases').selectAll().where('sweep_id', '=', sweepId).executeTakeFirst());
    return row ? leaseOf(row) : undefined;
  }

  acquireLease(l: SweepLease, takeOver?: string): Promise<SweepLease> {
    const row = { sweep_id: l.sweepId, controller: l.controller, host: l.host, pid: l.pid, acquired_at: l.acquiredAt, expires_at: l.expiresAt };
    return busyGuard(async () => {
      // One statement decides, so two controllers asking at once cannot both be granted.
      await this.db.insertInto('sweep_leases').values(row).onConflict((oc) => oc.column('sweep_id').doUpdateSet({
        controller: l.controller, host: l.host, pid: l.pid, expires_at: l.expiresAt,
        acquired_at: (eb) => eb.case().when('sweep_leases.controller', '=', l.controller).then(eb.ref('sweep_leases.acquired_at')).else(l.acquiredAt).end(),
      }).where((eb) => eb.or([
        eb('sweep_leases.controller', '=', l.controller),
        eb('sweep_leases.expires_at', '<', l.acquiredAt),
        ...(takeOver !== undefined ? [eb('sweep_leases.controller', '=', takeOver)] : []),
      ]))).execute();
      return leaseOf(await this.db.selectFrom('sweep_leases').selectAll().where('sweep_id', '=', l.sweepId).executeTakeFirstOrThrow());
    });
  }

  releaseLease(sweepId: string, controller: string): Promise<void> {
    return busyGuard(async () => {
      await this.db.deleteFrom('sweep_leases').where('sweep_id', '=', sweepId).where('controller', '=', controller).execute();
    });
  }
}
