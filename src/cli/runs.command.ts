import type { Command } from 'commander';
import type { Run } from '../sdk/index.js';
import { client, formatTime, printJson, printTable, type Column } from './output.js';

interface SearchOptions {
  url?: string;
  json?: boolean;
  experiment: string[];
  filter?: string;
  orderBy?: string[];
  maxResults: string;
  all?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The run columns, plus one per metric or param the user asked to see. */
function runColumns(metricKeys: readonly string[]): Column<Run>[] {
  return [
    { header: 'RUN ID', value: (r) => r.info.runId },
    { header: 'NAME', value: (r) => r.info.runName },
    { header: 'STATUS', value: (r) => r.info.status },
    { header: 'STARTED', value: (r) => formatTime(r.info.startTime) },
    { header: 'USER', value: (r) => r.info.userId },
    ...metricKeys.map((k) => ({ header: k, value: (r: Run) => r.data.metrics.find((m) => m.key === k)?.value })),
  ];
}

/** Metrics mentioned in the filter or order, so a search shows the numbers it was about. */
function mentionedMetrics(...texts: (string | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const t of texts) for (const m of (t ?? '').matchAll(/metrics?\.(`[^`]+`|[\w./:-]+)/g)) keys.add(m[1]!.replace(/`/g, ''));
  return [...keys];
}

export function registerRunsCommand(program: Command): void {
  const runs = program.command('runs').description('Inspect and search runs');

  const search = async (opts: SearchOptions) => {
    const oe = client(opts);
    // An experiment is named by id or by name; a name that matches nothing is an error, not an empty result.
    const experimentIds = await Promise.all(opts.experiment.map(async (ref) => {
      if (/^\d+$/.test(ref)) return ref;
      const experiment = await oe.experiments.getByName(ref);
      if (!experiment) throw new Error(`no experiment named '${ref}'`);
      return experiment.experimentId;
    }));
    const page = await oe.runs.search({
      experimentIds,
      filter: opts.filter,
      orderBy: opts.orderBy,
      maxResults: Number(opts.maxResults),
      view: opts.all ? 'ALL' : 'ACTIVE_ONLY',
    });
    if (opts.json) printJson(page.items);
    else printTable(page.items, runColumns(mentionedMetrics(opts.filter, ...(opts.orderBy ?? []))));
  };

  for (const [name, description] of [['list', 'List runs of experiments'], ['search', 'Search runs with a filter and order']] as const) {
    const cmd = runs
      .command(name)
      .description(description)
      .requiredOption('-e, --experiment <id|name>', 'experiment id or name (repeatable)', collect)
      .option('--url <url>', 'server URL')
      .option('--max-results <n>', 'at most this many', '100')
      .option('--all', 'include deleted runs')
      .option('--json', 'print JSON');
    if (name === 'search') {
      cmd
        .option('--filter <filter>', "e.g. \"metrics.acc > 0.9 and params.lr = '0.01'\"")
        .option('--order-by <clause>', "e.g. 'metrics.acc DESC' (repeatable)", collect);
    }
    cmd.action(search);
  }

  runs
    .command('show <runId>')
    .description('Show a run: info, params, latest metrics, tags')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (runId: string, opts: { url?: string; json?: boolean }) => {
      const run = await client(opts).runs.get(runId);
      if (opts.json) return printJson(run);
      const i = run.info;
      printTable(
        [
          ['run id', i.runId], ['name', i.runName], ['experiment', i.experimentId], ['status', i.status], ['user', i.userId],
          ['started', formatTime(i.startTime)], ['ended', formatTime(i.endTime)], ['artifacts', i.artifactUri],
        ],
        [{ header: 'FIELD', value: (r) => r[0] }, { header: 'VALUE', value: (r) => r[1] }],
      );
      console.log();
      printTable(run.data.params, [{ header: 'PARAM', value: (p) => p.key }, { header: 'VALUE', value: (p) => p.value }]);
      console.log();
      printTable(run.data.metrics, [
        { header: 'METRIC', value: (m) => m.key }, { header: 'VALUE', value: (m) => m.value }, { header: 'STEP', value: (m) => m.step },
      ]);
      console.log();
      printTable(run.data.tags, [{ header: 'TAG', value: (t) => t.key }, { header: 'VALUE', value: (t) => t.value }]);
    });
}
