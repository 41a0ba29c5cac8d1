import type { Kysely, Selectable } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import { BUDGET_DELIVERY_SOURCE, type CostStore, type UsageScope } from '../../domain/cost/cost.store.js';
import type { BudgetPeriod, BudgetScope, ComputeBudget, ComputeBudgetAlert, UsageEntry, UsageSource, UsageTotals } from '../../domain/cost/types.js';
import type { DeliveryStatus } from '../../domain/monitoring/types.js';
import type { WebhookDelivery } from '../../domain/monitoring/webhooks.js';
import { insertWebhookDelivery } from './webhooks.sql-store.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database } from '../schema.js';
import type { CostTables } from '../tables/cost.tables.js';

const budgetOf = (r: Selectable<CostTables['compute_budgets']>): ComputeBudget => ({
  budgetId: r.budget_id, name: r.name, scope: r.scope as BudgetScope, subject: r.subject, period: r.period as BudgetPeriod, limitUsd: Number(r.limit_usd),
  thresholds: JSON.parse(r.thresholds) as number[], hardStop: Number(r.hard_stop) === 1, ...(r.webhook_url ? { webhookUrl: r.webhook_url } : {}),
  webhookSecret: r.webhook_secret, createdBy: r.created_by, createdAt: Number(r.created_at),
});

const alertOf = (r: Selectable<CostTables['compute_budget_alerts']>): ComputeBudgetAlert => ({
  alertId: r.alert_id, budgetId: r.budget_id, periodStart: Number(r.period_start), threshold: Number(r.threshold), spentUsd: Number(r.spent_usd),
  limitUsd: Number(r.limit_usd), at: Number(r.at),
});

/** Usage, budgets and budget alerts over Kysely; an alert's delivery goes into the shared `webhook_deliveries` in the same transaction. */
export class SqlCostStore implements CostStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async addUsage(e: UsageEntry & { experimentId: string; userId: string }): Promise<void> {
    await busyGuard(() => this.db.insertInto('run_usage').values({
      entry_id: newHexId(), run_id: e.runId, experiment_id: e.experimentId, user_id: e.userId, source: e.source, cpu_seconds: e.cpuSeconds,
      peak_memory_bytes: e.peakMemoryBytes, wall_seconds: e.wallSeconds, gpu_seconds: e.gpuSeconds ?? 0, gpu_memory_bytes: e.gpuMemoryBytes ?? 0,
      gpu_type: e.gpuType ?? null, recorded_at: e.recordedAt,
    }).execute());
  }

  async listUsage(runId: string): Promise<UsageEntry[]> {
    const rows = await busyGuard(() => this.db.selectFrom('run_usage').selectAll().where('run_id', '=', runId).orderBy('recorded_at').execute());
    return rows.map((r) => ({
      runId: r.run_id, source: r.source as UsageSource, recordedAt: Number(r.recorded_at), cpuSeconds: Number(r.cpu_seconds), peakMemoryBytes: Number(r.peak_memory_bytes),
      wallSeconds: Number(r.wall_seconds), ...(Number(r.gpu_seconds) > 0 ? { gpuSeconds: Number(r.gpu_seconds), gpuMemoryBytes: Number(r.gpu_memory_bytes) } : {}),
      ...(r.gpu_type ? { gpuType: r.gpu_type } : {}),
    }));
  }

  async totals(scope: UsageScope, range?: { from: number; to: number }): Promise<UsageTotals> {
    let q = this.db.selectFrom('run_usage as u')
      .select((eb) => [
        'u.gpu_type',
        eb.fn.sum<number | string>('u.cpu_seconds').as('cpu'),
        eb.fn.sum<number | string>(eb('u.peak_memory_bytes', '*', eb.ref('u.wall_seconds'))).as('mem'),
        eb.fn.sum<number | string>('u.gpu_seconds').as('gpu'),
      ])
      .groupBy('u.gpu_type');
    if ('runId' in scope) q = q.where('u.run_id', '=', scope.runId);
    else if (scope.scope === 'experiment') q = q.where('u.experiment_id', '=', scope.subject);
    else if (scope.scope === 'user') q = q.where('u.user_id', '=', scope.subject);
    else {
      const at = scope.subject.indexOf('=');
      const key = scope.subject.slice(0, at);
      const value = scope.subject.slice(at + 1);
      q = q.where('u.run_id', 'in', this.db.selectFrom('tags').select('run_uuid').where('key', '=', key).where('value', '=', value));
    }
    if (range) q = q.where('u.recorded_at', '>=', range.from).where('u.recorded_at', '<', range.to);
    return sumUp(await busyGuard(() => q.execute()));
  }

  totalsByRun(experimentId: string): Promise<Map<string, UsageTotals>> {
    return this.grouped('run_id', experimentId);
  }

  totalsByExperiment(): Promise<Map<string, UsageTotals>> {
    return this.grouped('experiment_id');
  }

  private async grouped(by: 'run_id' | 'experiment_id', experimentId?: string): Promise<Map<string, UsageTotals>> {
    let q = this.db.selectFrom('run_usage as u')
      .select((eb) => [
        eb.ref(`u.${by}`).as('owner'), 'u.gpu_type',
        eb.fn.sum<number | string>('u.cpu_seconds').as('cpu'),
        eb.fn.sum<number | string>(eb('u.peak_memory_bytes', '*', eb.ref('u.wall_seconds'))).as('mem'),
        eb.fn.sum<number | string>('u.gpu_seconds').as('gpu'),
      ])
      .groupBy([`u.${by}`, 'u.gpu_type']);
    if (experimentId !== undefined) q = q.where('u.experiment_id', '=', experimentId);
    const rows = await busyGuard(() => q.execute());
    const byOwner = new Map<string, typeof rows>();
    for (const r of rows) byOwner.set(r.owner, [...(byOwner.get(r.owner) ?? []), r]);
    return new Map([...byOwner].map(([owner, rs]) => [owner, sumUp(rs)]));
  }

  async createBudget(b: ComputeBudget): Promise<void> {
    await busyGuard(async () => {
      try {
        await this.db.insertInto('compute_budgets').values({
          budget_id: b.budgetId, name: b.name, scope: b.scope, subject: b.subject, period: b.period, limit_usd: b.limitUsd, thresholds: JSON.stringify(b.thresholds),
          hard_stop: b.hardStop ? 1 : 0, webhook_url: b.webhookUrl ?? null, webhook_secret: b.webhookSecret, created_by: b.createdBy, created_at: b.createdAt,
        }).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`Compute budget '${b.name}'`);
        throw err;
      }
    });
  }

  async getBudget(idOrName: string): Promise<ComputeBudget | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('compute_budgets').selectAll()
      .where((eb) => eb.or([eb('budget_id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst());
    return row ? budgetOf(row) : undefined;
  }

  async listBudgets(): Promise<ComputeBudget[]> {
    return (await busyGuard(() => this.db.selectFrom('compute_budgets').selectAll().orderBy('name').execute())).map(budgetOf);
  }

  async deleteBudget(budgetId: string): Promise<void> {
    await busyGuard(() => this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('webhook_deliveries').where('source', '=', BUDGET_DELIVERY_SOURCE).where('owner_id', '=', budgetId).execute();
      await tx.deleteFrom('compute_budget_alerts').where('budget_id', '=', budgetId).execute();
      await tx.deleteFrom('compute_budgets').where('budget_id', '=', budgetId).execute();
    }));
  }

  async addAlert(a: ComputeBudgetAlert, d: WebhookDelivery | undefined): Promise<boolean> {
    return busyGuard(async () => {
      try {
        await this.db.transaction().execute(async (tx) => {
          await tx.insertInto('compute_budget_alerts').values({
            alert_id: a.alertId, budget_id: a.budgetId, period_start: a.periodStart, threshold: a.threshold, spent_usd: a.spentUsd, limit_usd: a.limitUsd, at: a.at,
          }).execute();
          if (d) await insertWebhookDelivery(tx, d);
        });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    });
  }

  async listAlerts(budgetId: string, limit: number) {
    const rows = await busyGuard(() => this.db.selectFrom('compute_budget_alerts as a')
      .leftJoin('webhook_deliveries as d', (j) => j.onRef('d.delivery_id', '=', 'a.alert_id').on('d.source', '=', BUDGET_DELIVERY_SOURCE))
      .selectAll('a').select(['d.status', 'd.attempts', 'd.last_error'])
      .where('a.budget_id', '=', budgetId).orderBy('a.at', 'desc').orderBy('a.threshold', 'desc').limit(limit).execute());
    return rows.map((r) => ({
      ...alertOf(r),
      ...(r.status !== null ? { delivery: { status: r.status as DeliveryStatus, attempts: Number(r.attempts), lastError: r.last_error } } : {}),
    }));
  }
}

function sumUp(rows: readonly { gpu_type: string | null; cpu: number | string | null; mem: number | string | null; gpu: number | string | null }[]): UsageTotals {
  let cpuSeconds = 0;
  let memoryByteSeconds = 0;
  const gpuSecondsByType: Record<string, number> = {};
  for (const r of rows) {
    cpuSeconds += Number(r.cpu ?? 0);
    memoryByteSeconds += Number(r.mem ?? 0);
    const gpu = Number(r.gpu ?? 0);
    if (gpu > 0) gpuSecondsByType[r.gpu_type ?? 'default'] = (gpuSecondsByType[r.gpu_type ?? 'default'] ?? 0) + gpu;
  }
  return { cpuSeconds, memoryByteSeconds, gpuSecondsByType };
}
