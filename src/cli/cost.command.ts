import { Option, type Command } from 'commander';
import { invalid } from '../core/errors.js';
import type { ComputeBudgetAlert, PriceTable, RunUsage } from '../domain/cost/types.js';
import { BUDGET_PERIODS } from '../domain/cost/types.js';
import type { ComputeBudgetInfo, CostTotals } from '../sdk/compute.js';
import { api, withAuth, type Auth } from './governance.command.js';
import { formatNumber, formatTime, printJson, printTable } from './output.js';

const enc = encodeURIComponent;
const usd = (v: number) => `$${v > 0 && v < 0.01 ? v.toPrecision(2) : v.toFixed(4)}`;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** An experiment given by id (digits) or name. */
async function experimentId(opts: Auth, ref: string): Promise<string> {
  if (/^\d+$/.test(ref)) return ref;
  return (await api(opts)<{ experimentId: string }>('GET', `/api/v1/experiments/by-name/${enc(ref)}`)).experimentId;
}

const budgetColumns = [
  { header: 'NAME', value: (b: ComputeBudgetInfo) => b.budget.name },
  { header: 'SCOPE', value: (b: ComputeBudgetInfo) => `${b.budget.scope} ${b.budget.subject}` },
  { header: 'PERIOD', value: (b: ComputeBudgetInfo) => b.budget.period },
  { header: 'SPENT', value: (b: ComputeBudgetInfo) => usd(b.spentUsd) },
  { header: 'LIMIT', value: (b: ComputeBudgetInfo) => usd(b.budget.limitUsd) },
  { header: 'USED', value: (b: ComputeBudgetInfo) => `${Math.round((b.spentUsd / b.budget.limitUsd) * 100)}%` },
  { header: 'HARD STOP', value: (b: ComputeBudgetInfo) => (b.budget.hardStop ? (b.exceeded ? 'refusing' : 'yes') : 'no') },
];

/** `openexpert cost …`: what runs, sweeps and experiments cost in compute, and budgets over it. */
export function registerCostCommand(program: Command): void {
  const cost = program.command('cost').description('Compute cost: usage and cost of runs, sweeps and experiments; the price table; budgets with alerts and hard stops');
  withAuth(cost.command('run <runId>').description("A run's usage (CPU-seconds, peak memory, wall time, GPU) and its cost")).action(async (runId: string, opts: Auth) => {
    const u = await api(opts)<RunUsage>('GET', `/api/v1/runs/${enc(runId)}/usage`);
    if (opts.json) return printJson(u);
    console.log(`run ${u.runId}: ${usd(u.costUsd)} — CPU ${formatNumber(u.cpuSeconds)} s, peak memory ${mb(u.peakMemoryBytes)}, wall ${formatNumber(u.wallSeconds)} s`
      + (u.gpuSeconds > 0 ? `, GPU ${formatNumber(u.gpuSeconds)} s (${u.gpuTypes.join(', ')}), GPU memory ${mb(u.gpuMemoryBytes)}` : '') + ` (${u.entries} entries)`);
  });
  withAuth(cost.command('experiment <experiment>').description("An experiment's cost (by id or name): the total and its costliest runs")).action(async (ref: string, opts: Auth) => {
    const c = await api(opts)<CostTotals & { runs: (CostTotals & { runId: string })[] }>('GET', `/api/v1/experiments/${enc(await experimentId(opts, ref))}/cost`);
    if (opts.json) return printJson(c);
    console.log(`experiment ${ref}: ${usd(c.costUsd)} — CPU ${formatNumber(c.cpuSeconds)} s, memory ${formatNumber(c.memoryGbHours)} GiB-h, GPU ${formatNumber(c.gpuSeconds)} s over ${c.runs.length} runs`);
    printTable(c.runs.slice(0, 20), [
      { header: 'RUN', value: (r) => r.runId }, { header: 'COST', value: (r) => usd(r.costUsd) }, { header: 'CPU S', value: (r) => r.cpuSeconds }, { header: 'GPU S', value: (r) => r.gpuSeconds },
    ]);
  });
  withAuth(cost.command('sweep <sweepId>').description("A sweep's cost: the sum over its trials")).action(async (id: string, opts: Auth) => {
    const c = await api(opts)<CostTotals>('GET', `/api/v1/sweeps/${enc(id)}/cost`);
    if (opts.json) return printJson(c);
    console.log(`sweep ${id}: ${usd(c.costUsd)} — CPU ${formatNumber(c.cpuSeconds)} s, memory ${formatNumber(c.memoryGbHours)} GiB-h, GPU ${formatNumber(c.gpuSeconds)} s`);
  });
  withAuth(cost.command('prices').description('The price table usage is costed by (set with OPENEXPERT_COMPUTE_PRICES on the server)')).action(async (opts: Auth) => {
    const p = await api(opts)<PriceTable>('GET', '/api/v1/compute/prices');
    if (opts.json) return printJson(p);
    console.log(`CPU-hour ${usd(p.cpuHour)}, GiB-hour of memory ${usd(p.memoryGbHour)}`);
    printTable(Object.entries(p.gpuHour), [{ header: 'GPU TYPE', value: ([t]) => t }, { header: 'PER HOUR', value: ([, v]) => usd(v) }]);
  });

  const budgets = cost.command('budgets').description('Compute budgets per experiment, run tag or user, per day or month: alerts at thresholds, optional hard stop');
  withAuth(budgets.command('create <name>').description('Create a budget; exactly one of --experiment, --tag, --user'))
    .option('--experiment <experiment>', 'runs of this experiment (id or name)')
    .option('--tag <key=value>', 'runs carrying this tag, e.g. project=churn')
    .option('--for-user <user>', "this user's runs")
    .addOption(new Option('--period <period>', 'UTC day or calendar month').choices([...BUDGET_PERIODS]).default('month'))
    .requiredOption('--limit <usd>', 'US dollars per period')
    .option('--thresholds <fractions>', 'alert at these fractions of the limit', '0.5,0.8,1')
    .option('--hard-stop', 'refuse new runs and sweep trials in scope once the limit is reached')
    .option('--webhook <url>', 'POST alerts here (signed like monitoring alerts)')
    .option('--webhook-secret <secret>', 'the signing secret (default: generated, not shown)')
    .action(async (name: string, opts: Auth & { experiment?: string; tag?: string; forUser?: string; period: string; limit: string; thresholds: string; hardStop?: boolean; webhook?: string; webhookSecret?: string }) => {
      const given = [opts.experiment, opts.tag, opts.forUser].filter((x) => x !== undefined).length;
      if (given !== 1) throw invalid('Give exactly one of --experiment, --tag or --for-user');
      const scope = opts.experiment !== undefined ? 'experiment' : opts.tag !== undefined ? 'tag' : 'user';
      const subject = opts.experiment !== undefined ? await experimentId(opts, opts.experiment) : (opts.tag ?? opts.forUser)!;
      const created = await api(opts)<ComputeBudgetInfo>('POST', '/api/v1/compute/budgets', {
        name, scope, subject, period: opts.period, limitUsd: Number(opts.limit), thresholds: opts.thresholds.split(',').map(Number), hardStop: opts.hardStop === true,
        ...(opts.webhook ? { webhookUrl: opts.webhook } : {}), ...(opts.webhookSecret ? { webhookSecret: opts.webhookSecret } : {}),
      });
      if (opts.json) return printJson(created);
      console.log(`Created compute budget '${created.budget.name}': ${usd(created.budget.limitUsd)} per ${created.budget.period} for ${scope} ${subject}${created.budget.hardStop ? ', hard stop' : ''}; ${usd(created.spentUsd)} spent this period`);
    });
  withAuth(budgets.command('list').description('List the budgets you may see, with this period\'s spending')).action(async (opts: Auth) => {
    const { items } = await api(opts)<{ items: ComputeBudgetInfo[] }>('GET', '/api/v1/compute/budgets');
    if (opts.json) return printJson(items);
    printTable(items, budgetColumns);
  });
  withAuth(budgets.command('show <budget>').description('A budget (by name or id) and the alerts it raised')).action(async (ref: string, opts: Auth) => {
    const b = await api(opts)<{ status: ComputeBudgetInfo; alerts: (ComputeBudgetAlert & { delivery?: { status: string } })[] }>('GET', `/api/v1/compute/budgets/${enc(ref)}`);
    if (opts.json) return printJson(b);
    printTable([b.status], budgetColumns);
    if (b.alerts.length) {
      console.log('');
      printTable(b.alerts, [
        { header: 'AT', value: (a) => formatTime(a.at) }, { header: 'THRESHOLD', value: (a) => `${Math.round(a.threshold * 100)}%` },
        { header: 'SPENT', value: (a) => usd(a.spentUsd) }, { header: 'WEBHOOK', value: (a) => a.delivery?.status ?? '-' },
      ]);
    }
  });
  withAuth(budgets.command('delete <budget>').description('Delete a budget and its alerts')).action(async (ref: string, opts: Auth) => {
    await api(opts)('DELETE', `/api/v1/compute/budgets/${enc(ref)}`);
    if (opts.json) return printJson({ deleted: ref });
    console.log(`Deleted compute budget '${ref}'`);
  });
}
