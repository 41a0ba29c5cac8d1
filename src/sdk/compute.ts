import type { LogUsageInput, CreateComputeBudgetInput } from '../domain/cost/schemas.js';
import type { ComputeBudgetAlert, ComputeBudgetStatus, CostTotals, PriceTable, RunUsage } from '../domain/cost/types.js';
import type { Requester } from './sweeps.js';

type Budget = Omit<ComputeBudgetStatus['budget'], 'webhookSecret'>;
export type ComputeBudgetInfo = Omit<ComputeBudgetStatus, 'budget'> & { budget: Budget };
export type ComputeBudgetOptions = Omit<CreateComputeBudgetInput, 'hardStop'> & { hardStop?: boolean };
export type { CostTotals } from '../domain/cost/types.js';

const enc = encodeURIComponent;

/**
 * Compute cost and budgets (`oe.compute`). Runs started by `openexpert run`, sweeps and pipelines are measured
 * for you; a run started elsewhere reports its usage, e.g. this process's own with `measure`:
 *
 * ```ts
 * const done = oe.compute.measure(runId);
 * train();
 * await done(); // CPU-seconds, peak memory and wall time since measure() was called
 * await oe.compute.createBudget({ name: 'churn-daily', scope: 'experiment', subject: experimentId, period: 'day', limitUsd: 5, hardStop: true });
 * ```
 */
export class Compute {
  constructor(private readonly http: Requester) {}

  /** Adds usage to a run; returns the run's total and cost. */
  logUsage(runId: string, usage: Omit<LogUsageInput, 'source'> & { source?: LogUsageInput['source'] }): Promise<RunUsage> {
    return this.http.request<RunUsage>('POST', `/api/v1/runs/${enc(runId)}/usage`, { body: usage });
  }

  /**
   * Starts measuring this process (CPU time, peak resident memory, wall time); the function it returns reports
   * what was used since to the run. Children this process started and waited for are not included.
   */
  measure(runId: string): () => Promise<RunUsage> {
    const cpu = process.cpuUsage();
    const started = performance.now();
    return () => {
      const used = process.cpuUsage(cpu);
      return this.logUsage(runId, {
        cpuSeconds: (used.user + used.system) / 1e6, peakMemoryBytes: process.resourceUsage().maxRSS * 1024, wallSeconds: (performance.now() - started) / 1000,
      });
    };
  }

  usage(runId: string): Promise<RunUsage> {
    return this.http.request<RunUsage>('GET', `/api/v1/runs/${enc(runId)}/usage`);
  }

  experimentCost(experimentId: string): Promise<CostTotals & { runs: (CostTotals & { runId: string })[] }> {
    return this.http.request('GET', `/api/v1/experiments/${enc(experimentId)}/cost`);
  }

  sweepCost(sweepId: string): Promise<CostTotals> {
    return this.http.request('GET', `/api/v1/sweeps/${enc(sweepId)}/cost`);
  }

  prices(): Promise<PriceTable> {
    return this.http.request('GET', '/api/v1/compute/prices');
  }

  createBudget(opts: ComputeBudgetOptions): Promise<ComputeBudgetInfo> {
    return this.http.request('POST', '/api/v1/compute/budgets', { body: opts });
  }

  async listBudgets(): Promise<ComputeBudgetInfo[]> {
    return (await this.http.request<{ items: ComputeBudgetInfo[] }>('GET', '/api/v1/compute/budgets')).items;
  }

  getBudget(idOrName: string): Promise<{ status: ComputeBudgetInfo; alerts: (ComputeBudgetAlert & { delivery?: { status: string; attempts: number; lastError: string | null } })[] }> {
    return this.http.request('GET', `/api/v1/compute/budgets/${enc(idOrName)}`);
  }

  async deleteBudget(idOrName: string): Promise<void> {
    await this.http.request('DELETE', `/api/v1/compute/budgets/${enc(idOrName)}`);
  }
}
