import { Option, type Command } from 'commander';
import { clientUrl } from '../config/config.js';
import type { CheckResult, ModelVersion, PromotionRequest, RegisteredModel, TransitionRecord } from '../domain/registry/types.js';
import { HttpClient, type RequestOptions } from '../sdk/http.js';
import { formatTime, printJson, printTable } from './output.js';
import { cliToken } from './credentials.js';

/** The registry commands talk to the server's native API; with auth off, `--user` names who acts (sent as basic auth). */
export interface Common {
  url?: string;
  user?: string;
  json?: boolean;
}

type Page<T> = { items: T[]; nextPageToken?: string };
export type RequestJson = Omit<PromotionRequest, 'target'> & { target: string };
type RecordJson = Omit<TransitionRecord, 'target'> & { target: string };

const enc = encodeURIComponent;

export function registryApi(opts: Common) {
  const http = new HttpClient(clientUrl(opts.url), cliToken(clientUrl(opts.url)), fetch);
  const headers: Record<string, string> = opts.user ? { authorization: `Basic ${Buffer.from(`${opts.user}:`).toString('base64')}` } : {};
  return <T>(method: string, path: string, options: RequestOptions = {}) => http.request<T>(method, path, { ...options, headers });
}

/** `--url`, `--user` and `--json` on every registry command. */
export function common(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server URL (default $OPENEXPERT_URL or http://127.0.0.1:5000)')
    .addOption(new Option('--user <name>', 'act as this user (auth off)').env('OPENEXPERT_USER'))
    .option('--json', 'print JSON');
}

const stagesOf = (m: RegisteredModel) =>
  m.latestVersions.filter((v) => v.currentStage !== 'None').map((v) => `${v.currentStage}:v${v.version}`).join(' ');
const aliasesOf = (m: RegisteredModel) => m.aliases.map((a) => `@${a.alias}:v${a.version}`).join(' ');
const newest = (m: RegisteredModel) => (m.latestVersions.length > 0 ? Math.max(...m.latestVersions.map((v) => v.version)) : undefined);

const versionColumns = [
  { header: 'VERSION', value: (v: ModelVersion) => v.version },
  { header: 'STAGE', value: (v: ModelVersion) => v.currentStage },
  { header: 'ALIASES', value: (v: ModelVersion) => v.aliases.map((a) => `@${a}`).join(' ') },
  { header: 'RUN', value: (v: ModelVersion) => v.runId },
  { header: 'SOURCE', value: (v: ModelVersion) => v.source },
  { header: 'CREATED', value: (v: ModelVersion) => formatTime(v.creationTime) },
  { header: 'USER', value: (v: ModelVersion) => v.userId },
];

export const checkColumns = [
  { header: 'CHECK', value: (c: CheckResult) => c.name },
  { header: 'TYPE', value: (c: CheckResult) => c.type },
  { header: 'RESULT', value: (c: CheckResult) => (c.passed ? 'pass' : 'FAIL') },
  { header: 'DETAIL', value: (c: CheckResult) => c.detail },
];

const requestColumns = [
  { header: 'ID', value: (r: RequestJson) => r.id },
  { header: 'MODEL', value: (r: RequestJson) => r.name },
  { header: 'VERSION', value: (r: RequestJson) => r.version },
  { header: 'TARGET', value: (r: RequestJson) => r.target },
  { header: 'STATE', value: (r: RequestJson) => r.state },
  { header: 'REQUESTER', value: (r: RequestJson) => r.requester },
  { header: 'APPROVALS', value: (r: RequestJson) => r.approvals.map((a) => a.userId).join(', ') },
  { header: 'CREATED', value: (r: RequestJson) => formatTime(r.createdTime) },
];

const move = (r: RecordJson) =>
  r.toStage !== undefined ? `${r.fromStage ?? '?'} -> ${r.toStage}` : `${r.target}${r.previousVersion !== undefined ? ` (was v${r.previousVersion})` : ''}`;
const historyColumns = [
  { header: 'TIME', value: (r: RecordJson) => formatTime(r.time) },
  { header: 'VERSION', value: (r: RecordJson) => r.version },
  { header: 'KIND', value: (r: RecordJson) => r.kind },
  { header: 'MOVE', value: (r: RecordJson) => move(r) },
  { header: 'ACTOR', value: (r: RecordJson) => r.actor },
  { header: 'CHECKS', value: (r: RecordJson) => (r.checks.length ? `${r.checks.filter((c) => c.passed).length}/${r.checks.length} passed` : '') },
  { header: 'REQUEST', value: (r: RecordJson) => r.requestId },
  { header: 'REASON', value: (r: RecordJson) => r.reason },
];

/**
 * `models promote`'s exit code, so a pipeline can tell the outcomes apart: 0 the version moved, 3 it waits
 * only for approvals, 1 a check other than approvals failed (or the request is no longer pending).
 */
export function promoteExitCode(r: RequestJson): 0 | 1 | 3 {
  if (r.state === 'completed') return 0;
  if (r.state !== 'pending') return 1;
  return r.checks.every((c) => c.passed || c.type === 'approvals') ? 3 : 1;
}

export function printRequest(r: RequestJson): void {
  const outcome = r.state === 'completed' ? `done: version ${r.version} of ${r.name} is now ${r.target}` : r.state;
  console.log(`promotion request ${r.id}: ${r.name} v${r.version} -> ${r.target} (${outcome})`);
  if (r.approvals.length > 0) console.log(`approved by ${r.approvals.map((a) => a.userId).join(', ')}`);
  console.log();
  printTable(r.checks, checkColumns);
}

export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('Registered models: versions, promotions with approvals, history and rollback');

  common(models.command('list').description('List registered models'))
    .option('--filter <filter>', "e.g. \"name LIKE 'churn%'\"")
    .option('--max-results <n>', 'at most this many', '100')
    .option('--project <name>', "only this project's models")
    .action(async (opts: Common & { filter?: string; maxResults: string; project?: string }) => {
      const page = await registryApi(opts)<Page<RegisteredModel>>('GET', '/api/v1/models', { query: { filter: opts.filter, maxResults: opts.maxResults, project: opts.project } });
      if (opts.json) return printJson(page.items);
      printTable(page.items, [
        { header: 'NAME', value: (m) => m.name },
        { header: 'LATEST', value: (m) => newest(m) },
        { header: 'STAGES', value: stagesOf },
        { header: 'ALIASES', value: aliasesOf },
        { header: 'UPDATED', value: (m) => formatTime(m.lastUpdatedTime) },
      ]);
    });

  common(models.command('show <name>').description('Show a registered model with its versions'))
    .action(async (name: string, opts: Common) => {
      const api = registryApi(opts);
      const model = await api<RegisteredModel>('GET', `/api/v1/models/${enc(name)}`);
      const versions = await api<Page<ModelVersion>>('GET', `/api/v1/models/${enc(name)}/versions`);
      if (opts.json) return printJson({ ...model, versions: versions.items });
      printTable(
        [['name', model.name], ['description', model.description ?? ''], ['created', formatTime(model.creationTime)], ['updated', formatTime(model.lastUpdatedTime)],
          ['stages', stagesOf(model)], ['aliases', aliasesOf(model)], ['tags', model.tags.map((t) => `${t.key}=${t.value}`).join(' ')]],
        [{ header: 'FIELD', value: (r) => r[0] }, { header: 'VALUE', value: (r) => r[1] }],
      );
      console.log();
      printTable(versions.items, versionColumns);
    });

  common(models.command('versions <name>').description('List the versions of a registered model'))
    .action(async (name: string, opts: Common) => {
      const page = await registryApi(opts)<Page<ModelVersion>>('GET', `/api/v1/models/${enc(name)}/versions`);
      if (opts.json) return printJson(page.items);
      printTable(page.items, versionColumns);
    });

  common(models.command('promote <name> <version>').description('Request a promotion; it happens once the policy\'s checks and approvals are satisfied'))
    .requiredOption('--to <target>', 'a stage (Staging, Production, Archived) or an alias (champion or @champion)')
    .option('--reason <text>', 'why, for the history')
    .option('--no-archive', 'keep the versions now in the target stage where they are')
    .action(async (name: string, version: string, opts: Common & { to: string; reason?: string; archive: boolean }) => {
      const isStage = /^(staging|production)$/i.test(opts.to);
      const request = await registryApi(opts)<RequestJson>('POST', '/api/v1/promotion-requests', {
        body: { name, version, target: opts.to, ...(opts.reason ? { reason: opts.reason } : {}), ...(isStage ? { archiveExisting: opts.archive } : {}) },
      });
      process.exitCode = promoteExitCode(request);
      if (opts.json) return printJson(request);
      printRequest(request);
      if (process.exitCode === 3) console.log(`\nwaiting for approvals: another user runs \`openexpert models approve ${request.id}\``);
      else if (process.exitCode === 1 && request.state === 'pending') {
        console.log(`\nnot moved: a check failed. The request stays pending; once the checks can pass, an approval (\`openexpert models approve ${request.id}\`) re-checks it, or \`openexpert models withdraw ${request.id}\` and promote again.`);
      }
    });

  for (const [verb, description, field] of [
    ['approve', 'Approve a promotion request (the last approval needed performs the move)', 'comment'],
    ['reject', 'Reject a promotion request', 'reason'],
    ['withdraw', 'Withdraw your own promotion request', 'reason'],
  ] as const) {
    common(models.command(`${verb} <requestId>`).description(description))
      .option(`--${field} <text>`, field)
      .action(async (requestId: string, opts: Common & { comment?: string; reason?: string }) => {
        const text = opts[field];
        const request = await registryApi(opts)<RequestJson>('POST', `/api/v1/promotion-requests/${enc(requestId)}/${verb}`, {
          body: text ? { [field]: text } : {},
        });
        if (opts.json) return printJson(request);
        printRequest(request);
      });
  }

  common(models.command('requests [name]').description('List promotion requests'))
    .option('--state <state>', 'pending, completed, rejected or withdrawn')
    .action(async (name: string | undefined, opts: Common & { state?: string }) => {
      const page = await registryApi(opts)<{ items: RequestJson[] }>('GET', '/api/v1/promotion-requests', { query: { name, state: opts.state } });
      if (opts.json) return printJson(page.items);
      printTable(page.items, requestColumns);
    });

  common(models.command('rollback <name>').description('Put the previous Production version (stage and champion alias) back'))
    .option('--to <version>', 'a specific earlier Production version')
    .option('--reason <text>', 'why, for the history')
    .action(async (name: string, opts: Common & { to?: string; reason?: string }) => {
      const body = { ...(opts.to ? { toVersion: Number(opts.to) } : {}), ...(opts.reason ? { reason: opts.reason } : {}) };
      const result = await registryApi(opts)<{ version: ModelVersion; from: number; records: RecordJson[] }>('POST', `/api/v1/models/${enc(name)}/rollback`, { body });
      if (opts.json) return printJson(result);
      console.log(`rolled back ${name}: version ${result.from} -> version ${result.version.version} (${result.version.currentStage}${result.version.aliases.map((a) => ` @${a}`).join('')})`);
      console.log();
      printTable(result.records, historyColumns);
    });

  common(models.command('history <name>').description('Stage transitions, alias moves and rollbacks, with who, when, why and the checks'))
    .option('--version <version>', 'only this version')
    .action(async (name: string, opts: Common & { version?: string }) => {
      const page = await registryApi(opts)<{ items: RecordJson[] }>('GET', `/api/v1/models/${enc(name)}/history`, { query: { version: opts.version } });
      if (opts.json) return printJson(page.items);
      printTable(page.items, historyColumns);
    });
}
