import type { Command } from 'commander';
import { invalid } from '../core/errors.js';
import type { DueRun, DueTraces } from '../domain/retention/retention.service.js';
import type { DeletionJob, RetentionPolicy } from '../domain/retention/types.js';
import { common, registryApi, type Common } from './models.command.js';
import { formatTime, printJson, printTable } from './output.js';

/** `90d`, `12w`, `6m` (30 days), `1y` (365 days), or a number of days. */
export function parseAge(text: string): number {
  const m = /^(\d+)\s*([dwmy]?)$/i.exec(text.trim());
  if (!m) throw invalid(`--max-age: '${text}' is not an age; write it as 90d, 12w, 6m or 1y`);
  const days = Number(m[1]) * ({ '': 1, d: 1, w: 7, m: 30, y: 365 } as Record<string, number>)[m[2]!.toLowerCase()]!;
  if (days < 1) throw invalid('--max-age must be at least one day');
  return days;
}

const printJob = (job: DeletionJob) =>
  console.log(`job ${job.id}: ${job.state}, ${job.deleted} of ${job.total} item(s) done; ${Object.entries(job.counts.rows).map(([t, n]) => `${n} ${t}`).join(', ') || 'no rows'}; ${job.counts.artifactFiles} artifact file(s), ${job.counts.artifactBytes} bytes${job.error ? `; error: ${job.error}` : ''}`);

/** Polls a deletion job until it is over. */
async function waitFor(api: ReturnType<typeof registryApi>, job: DeletionJob): Promise<DeletionJob> {
  let current = job;
  while (current.state === 'running') {
    await new Promise((r) => setTimeout(r, 250));
    current = await api<DeletionJob>('GET', `/api/v1/retention/jobs/${current.id}`);
  }
  return current;
}

export function registerRetentionCommand(program: Command): void {
  const retention = program.command('retention').description('Retention policies: runs and LLM traces older than an age are deleted for good (rows and artifacts), each deletion recorded in the audit chain');
  common(retention.command('set').description('Set how long runs are kept in the whole server, an experiment or a project, or LLM traces in a project or of one trace type (admins)'))
    .requiredOption('--max-age <age>', 'runs (traces) that started longer ago are deleted: 90d, 12w, 6m, 1y')
    .option('--experiment <idOrName>', 'this experiment')
    .option('--project <name>', "this project's experiments")
    .option('--server', 'every experiment')
    .option('--traces <scope>', 'LLM traces: <project>, * for every project, or <project>/<trace type> (traces of that name)')
    .action(async (opts: Common & { maxAge: string; experiment?: string; project?: string; server?: boolean; traces?: string }) => {
      const chosen = [opts.experiment !== undefined, opts.project !== undefined, opts.server === true, opts.traces !== undefined].filter(Boolean).length;
      if (chosen !== 1) throw invalid('Choose one of --experiment, --project, --server or --traces');
      const scope = opts.server ? { kind: 'server' } : opts.experiment !== undefined ? { kind: 'experiment', id: opts.experiment }
        : opts.traces !== undefined ? { kind: 'traces', id: opts.traces } : { kind: 'project', id: opts.project };
      const policy = await registryApi(opts)<RetentionPolicy>('POST', '/api/v1/retention/policies', { body: { scope, maxAgeDays: parseAge(opts.maxAge) } });
      if (opts.json) return printJson(policy);
      console.log(`${describeScope(policy)} are kept ${policy.maxAgeDays} days (policy ${policy.id})`);
    });
  common(retention.command('list').description('List retention policies'))
    .action(async (opts: Common) => {
      const { items } = await registryApi(opts)<{ items: RetentionPolicy[] }>('GET', '/api/v1/retention/policies');
      if (opts.json) return printJson(items);
      printTable(items, [
        { header: 'ID', value: (p) => p.id },
        { header: 'SCOPE', value: (p) => (p.scope.kind === 'server' ? 'server' : `${p.scope.kind} ${p.scope.id}`) },
        { header: 'KEEPS', value: (p) => (p.scope.kind === 'traces' ? 'LLM traces' : 'runs') },
        { header: 'MAX AGE (DAYS)', value: (p) => p.maxAgeDays },
        { header: 'SET BY', value: (p) => p.createdBy },
        { header: 'SET AT', value: (p) => formatTime(p.createdAt) },
      ]);
    });
  common(retention.command('remove <id>').description('Remove a retention policy'))
    .action(async (id: string, opts: Common) => {
      await registryApi(opts)('DELETE', `/api/v1/retention/policies/${encodeURIComponent(id)}`);
      if (!opts.json) console.log(`removed retention policy ${id}`);
    });
  common(retention.command('apply').description('Apply the policies now, in a background job on the server; --dry-run lists what would be deleted'))
    .option('--dry-run', 'only list the runs and traces that would be deleted')
    .option('--wait', 'wait for the job to finish and print its counts')
    .action(async (opts: Common & { dryRun?: boolean; wait?: boolean }) => {
      const api = registryApi(opts);
      const out = await api<{ job?: DeletionJob; runs: DueRun[]; traces: DueTraces[] }>('POST', '/api/v1/retention/apply', { body: { dryRun: opts.dryRun === true } });
      const job = out.job && opts.wait ? await waitFor(api, out.job) : out.job;
      if (opts.json) return printJson({ ...out, ...(job ? { job } : {}) });
      if (!job) {
        if (out.runs.length === 0 && out.traces.length === 0) return console.log('nothing is due for deletion');
        if (out.runs.length > 0) printTable(out.runs, [{ header: 'RUN', value: (r) => r.runId }, { header: 'EXPERIMENT', value: (r) => r.experimentId }, { header: 'POLICY', value: (r) => r.policy }]);
        if (out.traces.length > 0) {
          printTable(out.traces, [
            { header: 'TRACES OF', value: (t) => `${t.project}${t.traceName === null ? '' : `/${t.traceName}`}` },
            { header: 'STARTED BEFORE', value: (t) => formatTime(t.olderThan) },
            { header: 'TRACES', value: (t) => t.traces },
            { header: 'POLICY', value: (t) => t.policy },
          ]);
        }
        return;
      }
      printJob(job);
      if (job.state === 'failed') process.exitCode = 1;
    });
  registerPurge(retention, 'purge <runIds...>', 'Delete runs for good now: rows, metrics, artifacts and lineage (MANAGE on their experiments); recorded in the audit chain', '/api/v1/retention/purge', 'runIds');
  registerPurge(retention, 'purge-traces <traceIds...>', 'Delete LLM traces and their spans for good now (MANAGE on their projects); recorded in the audit chain', '/api/v1/retention/purge-traces', 'traceIds');
}

/** A deletion on request: the named ids go to the route, which answers with the job that deletes them. */
function registerPurge(retention: Command, usage: string, description: string, route: string, idsField: 'runIds' | 'traceIds'): void {
  common(retention.command(usage).description(description))
    .option('--reason <text>', 'why, kept in the audit record')
    .option('--wait', 'wait for the job to finish and print its counts')
    .action(async (ids: string[], opts: Common & { reason?: string; wait?: boolean }) => {
      const api = registryApi(opts);
      let job = await api<DeletionJob>('POST', route, { body: { [idsField]: ids, ...(opts.reason ? { reason: opts.reason } : {}) } });
      if (opts.wait) job = await waitFor(api, job);
      if (opts.json) return printJson(job);
      printJob(job);
      if (job.state === 'failed') process.exitCode = 1;
    });
}

function describeScope(p: RetentionPolicy): string {
  if (p.scope.kind === 'server') return 'runs of every experiment';
  if (p.scope.kind !== 'traces') return `runs of ${p.scope.kind} ${p.scope.id}`;
  const [project, ...name] = p.scope.id.split('/');
  return `LLM traces${name.length > 0 ? ` named '${name.join('/')}'` : ''} of ${project === '*' ? 'every project' : `project ${project}`}`;
}
