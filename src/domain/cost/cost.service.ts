import type { Actor } from '../../core/actor.js';
import { noteChange } from '../../core/audit-notes.js';
import type { Clock } from '../../core/clock.js';
import { DomainError, alreadyExists, invalid, missing, notFound, orThrow } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access } from '../access/access.js';
import { newDelivery, type DeliveryLog, type WebhookDelivery } from '../monitoring/webhooks.js';
import type { KeyValue } from '../tracking/types.js';
import { BUDGET_DELIVERY_SOURCE, type CostStore, type UsageScope } from './cost.store.js';
import { costOf, GIB, periodBounds } from './pricing.js';
import type { CreateComputeBudgetInput, LogUsageInput } from './schemas.js';
import type { ComputeBudget, ComputeBudgetAlert, ComputeBudgetStatus, CostTotals, PriceTable, RunUsage, UsageTotals } from './types.js';

/** What cost needs to know of a run: where it belongs, for access and for the budgets it counts against. */
export interface CostRuns {
  runFacts(runId: string): Promise<{ experimentId: string; userId: string; tags: readonly KeyValue[] } | undefined>;
  /** The experiment a sweep runs in, for access to its cost. */
  sweepExperiment(sweepId: string): Promise<string | undefined>;
}

/** The runs a sweep's trials are: tagged with the sweep's id (SWEEP_TAGS.sweepId). */
const SWEEP_TAG = 'openexpert.sweep_id';
const DEFAULT_THRESHOLDS = [0.5, 0.8, 1] as const;

/** What a caller learns when a hard stop refuses: which budget, how much of it went, and until when. */
export function budgetExceeded(s: ComputeBudgetStatus): DomainError {
  const b = s.budget;
  return new DomainError('INVALID_STATE',
    `Compute budget '${b.name}' (${b.scope} ${b.subject}, per ${b.period}) is exceeded: $${s.spentUsd.toFixed(4)} of $${b.limitUsd} spent since ` +
    `${new Date(s.periodStart).toISOString()}; new runs and sweep trials are refused until ${new Date(s.periodEnd).toISOString()} (or until the budget is raised or deleted)`);
}

/**
 * Compute cost: usage recorded per run (measured by the commands OpenExpert starts, or reported by clients), priced
 * by the price table, summed per sweep and experiment; budgets per experiment, run tag or user and UTC day or month,
 * whose thresholds raise alerts once a period (queued in `webhook_deliveries`, sent by the shared dispatcher), and whose hard stop refuses
 * new runs and trials. Usage follows the run's experiment (EDIT to report, READ to see); an experiment's budgets
 * are its managers', tag and user budgets the workspace maintainers'.
 */
export class CostService {
  constructor(
    private readonly store: CostStore,
    private readonly runs: CostRuns,
    private readonly access: Access,
    private readonly clock: Clock,
    readonly prices: PriceTable,
    private readonly log: DeliveryLog,
    /** Told when alerts with a webhook were queued (the dispatcher sends them). */
    private readonly onQueued: () => void = () => undefined,
  ) {}

  async logUsage(actor: Actor, runId: string, input: LogUsageInput): Promise<RunUsage> {
    const facts = await this.facts(actor, runId, 'EDIT');
    const { source, ...usage } = input;
    await this.store.addUsage({ ...usage, runId, source, recordedAt: this.clock.now(), experimentId: facts.experimentId, userId: facts.userId });
    await this.checkBudgets(facts);
    return this.usageOf(runId);
  }

  async runUsage(actor: Actor, runId: string): Promise<RunUsage> {
    await this.facts(actor, runId, 'READ');
    return this.usageOf(runId);
  }

  /** An experiment's cost, in total and per run that recorded usage. */
  async experimentCost(actor: Actor, experimentId: string): Promise<CostTotals & { runs: (CostTotals & { runId: string })[] }> {
    await this.access.require(actor, 'READ', { kind: 'experiment', id: experimentId });
    const byRun = await this.store.totalsByRun(experimentId);
    const runs = [...byRun].map(([runId, t]) => ({ runId, ...this.priced(t) })).sort((a, b) => b.costUsd - a.costUsd);
    return { ...this.priced(await this.store.totals({ scope: 'experiment', subject: experimentId })), runs };
  }

  /** A sweep's cost: the sum over its trials' runs. */
  async sweepCost(actor: Actor, sweepId: string): Promise<CostTotals> {
    const experimentId = orThrow(await this.runs.sweepExperiment(sweepId), () => notFound(`Sweep '${sweepId}'`));
    await this.access.require(actor, 'READ', { kind: 'experiment', id: experimentId, asMissing: () => notFound(`Sweep '${sweepId}'`) });
    return this.priced(await this.store.totals({ scope: 'tag', subject: `${SWEEP_TAG}=${sweepId}` }));
  }

  async priceTable(actor: Actor): Promise<PriceTable> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    return this.prices;
  }

  async createBudget(actor: Actor, input: CreateComputeBudgetInput): Promise<ComputeBudgetStatus> {
    if (input.scope === 'tag' && !/^[^=]+=/.test(input.subject)) throw invalid("Invalid value for parameter 'subject': a tag budget names key=value, e.g. project=churn");
    await this.access.require(actor, 'MANAGE', this.resourceOf(input));
    if (await this.store.getBudget(input.name)) throw alreadyExists(`Compute budget '${input.name}'`);
    const thresholds = [...new Set(input.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
    const budget: ComputeBudget = {
      budgetId: newHexId(), name: input.name, scope: input.scope, subject: input.subject, period: input.period, limitUsd: input.limitUsd, thresholds,
      hardStop: input.hardStop, ...(input.webhookUrl ? { webhookUrl: input.webhookUrl } : {}), webhookSecret: input.webhookSecret ?? newHexId(24),
      createdBy: actor.userId, createdAt: this.clock.now(),
    };
    await this.store.createBudget(budget);
    noteChange({ object: `compute_budget:${budget.name}`, after: { ...budget, webhookSecret: '***' } });
    return this.statusOf(budget);
  }

  /** The budgets the caller may see, with this period's spending. */
  async listBudgets(actor: Actor): Promise<ComputeBudgetStatus[]> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    const visible: ComputeBudget[] = [];
    for (const b of await this.store.listBudgets()) {
      try {
        await this.access.require(actor, 'READ', this.resourceOf(b));
        visible.push(b);
      } catch {
        // not the caller's to see
      }
    }
    return Promise.all(visible.map((b) => this.statusOf(b)));
  }

  async getBudget(actor: Actor, idOrName: string): Promise<{ status: ComputeBudgetStatus; alerts: Awaited<ReturnType<CostStore['listAlerts']>> }> {
    const budget = await this.budget(actor, idOrName, 'READ');
    return { status: await this.statusOf(budget), alerts: await this.store.listAlerts(budget.budgetId, 100) };
  }

  async deleteBudget(actor: Actor, idOrName: string): Promise<void> {
    const budget = await this.budget(actor, idOrName, 'MANAGE');
    await this.store.deleteBudget(budget.budgetId);
    noteChange({ object: `compute_budget:${budget.name}`, before: { ...budget, webhookSecret: '***' } });
  }

  /**
   * Before a run or a sweep trial starts: refuses it when a hard-stop budget that it would count against has reached
   * its limit this period. No access check of its own: the caller's create already made one.
   */
  async admit(run: { experimentId: string; userId: string; tags: readonly KeyValue[] }): Promise<void> {
    for (const budget of (await this.store.listBudgets()).filter((b) => b.hardStop && applies(b, run))) {
      const status = await this.statusOf(budget);
      if (status.exceeded) throw budgetExceeded(status);
    }
  }

  /** Every budget's spending this period, for Prometheus. */
  async budgetStatuses(): Promise<ComputeBudgetStatus[]> {
    return Promise.all((await this.store.listBudgets()).map((b) => this.statusOf(b)));
  }

  /** Every experiment's cost over all recorded usage, for Prometheus. */
  async experimentCosts(): Promise<(CostTotals & { experimentId: string })[]> {
    return [...await this.store.totalsByExperiment()].map(([experimentId, t]) => ({ experimentId, ...this.priced(t) }));
  }

  private priced(t: UsageTotals): CostTotals {
    return {
      cpuSeconds: t.cpuSeconds, memoryGbHours: t.memoryByteSeconds / GIB / 3600,
      gpuSeconds: Object.values(t.gpuSecondsByType).reduce((s, v) => s + v, 0), costUsd: costOf(this.prices, t),
    };
  }

  private async usageOf(runId: string): Promise<RunUsage> {
    const entries = await this.store.listUsage(runId);
    const totals = await this.store.totals({ runId } satisfies UsageScope);
    return {
      runId,
      cpuSeconds: totals.cpuSeconds,
      peakMemoryBytes: Math.max(0, ...entries.map((e) => e.peakMemoryBytes)),
      wallSeconds: entries.reduce((s, e) => s + e.wallSeconds, 0),
      memoryGbHours: totals.memoryByteSeconds / GIB / 3600,
      gpuSeconds: entries.reduce((s, e) => s + (e.gpuSeconds ?? 0), 0),
      gpuMemoryBytes: Math.max(0, ...entries.map((e) => e.gpuMemoryBytes ?? 0)),
      gpuTypes: [...new Set(entries.flatMap((e) => (e.gpuType ? [e.gpuType] : [])))],
      costUsd: costOf(this.prices, totals),
      entries: entries.length,
    };
  }

  private async facts(actor: Actor, runId: string, permission: 'READ' | 'EDIT') {
    const facts = orThrow(await this.runs.runFacts(runId), () => missing({ kind: 'run', runId }));
    await this.access.require(actor, permission, { kind: 'experiment', id: facts.experimentId, asMissing: () => missing({ kind: 'run', runId }) });
    return facts;
  }

  private resourceOf(b: Pick<ComputeBudget, 'scope' | 'subject'>) {
    return b.scope === 'experiment' ? { kind: 'experiment' as const, id: b.subject } : { kind: 'server' as const };
  }

  private async budget(actor: Actor, idOrName: string, permission: 'READ' | 'MANAGE'): Promise<ComputeBudget> {
    const budget = await this.store.getBudget(idOrName);
    if (!budget) {
      await this.access.require(actor, 'READ', { kind: 'server' });
      throw notFound(`Compute budget '${idOrName}'`);
    }
    await this.access.require(actor, permission, this.resourceOf(budget));
    return budget;
  }

  private async statusOf(budget: ComputeBudget): Promise<ComputeBudgetStatus> {
    const { from, to } = periodBounds(budget.period, this.clock.now());
    const spentUsd = costOf(this.prices, await this.store.totals({ scope: budget.scope, subject: budget.subject }, { from, to }));
    return { budget, periodStart: from, periodEnd: to, spentUsd, exceeded: spentUsd >= budget.limitUsd };
  }

  /** After usage was recorded: every threshold a budget of this run has crossed this period raises its alert, once. */
  private async checkBudgets(run: { experimentId: string; userId: string; tags: readonly KeyValue[] }): Promise<ComputeBudgetAlert[]> {
    const raised: ComputeBudgetAlert[] = [];
    for (const budget of (await this.store.listBudgets()).filter((b) => applies(b, run))) {
      const status = await this.statusOf(budget);
      for (const threshold of budget.thresholds) {
        if (status.spentUsd < threshold * budget.limitUsd) break;
        const now = this.clock.now();
        const alert: ComputeBudgetAlert = { alertId: newHexId(), budgetId: budget.budgetId, periodStart: status.periodStart, threshold, spentUsd: status.spentUsd, limitUsd: budget.limitUsd, at: now };
        const delivery: WebhookDelivery | undefined = budget.webhookUrl ? newDelivery({
          deliveryId: alert.alertId, source: BUDGET_DELIVERY_SOURCE, ownerId: budget.budgetId, kind: 'compute_budget', url: budget.webhookUrl, secret: budget.webhookSecret,
          payload: JSON.stringify({
            type: 'compute_budget', alertId: alert.alertId, threshold, spentUsd: status.spentUsd, limitUsd: budget.limitUsd, exceeded: status.exceeded,
            budget: { id: budget.budgetId, name: budget.name, scope: budget.scope, subject: budget.subject, period: budget.period, hardStop: budget.hardStop },
            periodStart: new Date(status.periodStart).toISOString(), periodEnd: new Date(status.periodEnd).toISOString(), at: new Date(now).toISOString(),
          }),
        }, now) : undefined;
        if (!await this.store.addAlert(alert, delivery)) continue;
        this.log.warn({ budget: budget.name, threshold, spentUsd: status.spentUsd, limitUsd: budget.limitUsd }, `compute budget ${budget.name}: ${Math.round(threshold * 100)}% reached`);
        raised.push(alert);
        if (delivery) this.onQueued();
      }
    }
    return raised;
  }
}

/** Whether a run counts against a budget. */
export function applies(b: Pick<ComputeBudget, 'scope' | 'subject'>, run: { experimentId: string; userId: string; tags: readonly KeyValue[] }): boolean {
  if (b.scope === 'experiment') return run.experimentId === b.subject;
  if (b.scope === 'user') return run.userId === b.subject;
  const at = b.subject.indexOf('=');
  const key = b.subject.slice(0, at);
  const value = b.subject.slice(at + 1);
  return run.tags.some((t) => t.key === key && t.value === value);
}
