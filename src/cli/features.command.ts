import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import YAML from 'yaml';
import { invalid } from '../core/errors.js';
import type { MaterializeResult, ViewSummary } from '../domain/features/feature.service.js';
import type { SkewReport } from '../domain/features/skew.js';
import type { OnlineResult, PlanItem } from '../domain/features/types.js';
import { clientUrl } from '../config/config.js';
import { authHeaders } from './dataset-transfer.js';
import { common, registryApi, type Common } from './models.command.js';
import { formatTime, printJson, printTable } from './output.js';

/**
 * Every `*.yaml`/`*.yml` file of a feature repository as one set of definitions. A source `path` is resolved against
 * the file that names it, so the repository can be applied from anywhere.
 */
export function readFeatureRepo(dir: string): { project?: string; entities: unknown[]; feature_views: unknown[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw invalid(`No feature repository at '${dir}' (a folder of *.yaml files)`);
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/i.test(f)).sort();
  if (files.length === 0) throw invalid(`No *.yaml files in '${dir}'`);
  const out: { project?: string; entities: unknown[]; feature_views: unknown[] } = { entities: [], feature_views: [] };
  for (const file of files) {
    const full = path.join(dir, file);
    let doc: unknown;
    try {
      doc = YAML.parse(fs.readFileSync(full, 'utf8'));
    } catch (err) {
      throw invalid(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw invalid(`${file}: expected a mapping with entities and feature_views`);
    const { project, entities, feature_views: views, ...rest } = doc as Record<string, unknown>;
    if (Object.keys(rest).length) throw invalid(`${file}: unknown key(s) ${Object.keys(rest).join(', ')}; a definition file has project, entities and feature_views`);
    if (project !== undefined) {
      if (out.project !== undefined && out.project !== project) throw invalid(`${file}: project '${String(project)}' differs from '${out.project}' in another file`);
      out.project = String(project);
    }
    if (Array.isArray(entities)) out.entities.push(...(entities as unknown[]));
    if (Array.isArray(views)) {
      out.feature_views.push(...views.map((v: unknown) => {
        const source = (v as { source?: { path?: unknown } } | null)?.source;
        if (source && typeof source.path === 'string' && !path.isAbsolute(source.path)) return { ...(v as object), source: { ...source, path: path.resolve(dir, source.path) } };
        return v;
      }));
    }
  }
  return out;
}

const SIGN: Record<PlanItem['action'], string> = { create: '+', update: '~', delete: '-', unchanged: ' ' };

function printPlan(plan: readonly PlanItem[], applied: boolean): void {
  for (const [kind, title] of [['entity', 'Entities'], ['feature_view', 'Feature views']] as const) {
    const items = plan.filter((p) => p.kind === kind);
    if (items.length === 0) continue;
    console.log(`${title}:`);
    for (const p of items) {
      const versions = p.action === 'update' ? ` v${p.fromVersion} -> v${p.toVersion}` : p.action === 'create' ? ` v${p.toVersion}` : ` v${p.fromVersion}`;
      console.log(`  ${SIGN[p.action]} ${p.name}${versions} (${p.action}${p.changes.length ? `: ${p.changes.join(', ')}` : ''})`);
    }
  }
  const count = (a: PlanItem['action']) => plan.filter((p) => p.action === a).length;
  console.log(`${applied ? 'Applied' : 'Plan'}: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${count('unchanged')} unchanged`);
}

/** `2024-03-01T00:00:00Z`, `2024-03-01`, or epoch milliseconds. */
function instant(text: string, flag: string): number {
  const t = /^\d+$/.test(text) ? Number(text) : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(t)) throw invalid(`${flag}: '${text}' is not a time; write 2024-03-01T00:00:00Z, 2024-03-01 or epoch milliseconds`);
  return t;
}

const tableType = (file: string) => {
  if (/\.csv$/i.test(file)) return 'text/csv';
  if (/\.parquet$/i.test(file)) return 'application/vnd.apache.parquet';
  throw invalid(`'${file}': use a .parquet or .csv file`);
};

/** Sends a CSV/Parquet file as the body of a POST; the reply as it comes. */
async function postTable(opts: Common, urlPath: string, file: string): Promise<Response> {
  if (!fs.existsSync(file)) throw invalid(`No such file '${file}'`);
  const res = await fetch(clientUrl(opts.url) + urlPath, { method: 'POST', headers: { ...authHeaders(opts), 'content-type': tableType(file) }, body: fs.readFileSync(file) });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw invalid(`${body.error?.code ?? `HTTP ${res.status}`}: ${body.error?.message ?? 'request failed'}`);
  }
  return res;
}

const show = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : String(v));

export function registerFeaturesCommand(program: Command): void {
  const features = program.command('features').description('Feature store: feature views from feature_repo/*.yaml, point-in-time training sets, online values with enforced TTL, skew checks');

  common(features.command('apply [dir]').description('Validate the definitions in a feature repository (default ./feature_repo), show the plan, and register it'))
    .option('--dry-run', 'only show the plan')
    .option('--prune', 'also delete the project\'s views that are not in these files (as feast apply does)')
    .option('--project <name>', 'the project the views belong to (default: the files\' project, else default)')
    .action(async (dir: string | undefined, opts: Common & { dryRun?: boolean; prune?: boolean; project?: string }) => {
      const repo = readFeatureRepo(dir ?? 'feature_repo');
      const { project, ...definitions } = repo;
      const target = opts.project ?? project;
      const out = await registryApi(opts)<{ plan: PlanItem[]; applied: boolean }>('POST', '/api/v1/features/apply', { body: { definitions, dryRun: opts.dryRun === true, prune: opts.prune === true, ...(target ? { project: target } : {}) } });
      if (opts.json) return printJson(out);
      printPlan(out.plan, out.applied);
    });

  common(features.command('list').description('Feature views with their freshness'))
    .option('--project <name>', 'only this project')
    .action(async (opts: Common & { project?: string }) => {
      const { items } = await registryApi(opts)<{ items: ViewSummary[] }>('GET', '/api/v1/features/views', { query: { project: opts.project } });
      if (opts.json) return printJson(items);
      printTable(items, [
        { header: 'VIEW', value: (v) => v.name },
        { header: 'VERSION', value: (v) => v.version },
        { header: 'ENTITY', value: (v) => v.entity },
        { header: 'FEATURES', value: (v) => v.features.length },
        { header: 'TTL', value: (v) => (v.ttlSeconds ? `${v.ttlSeconds}s` : 'none') },
        { header: 'MATERIALIZED UNTIL', value: (v) => (v.materializedUntil !== undefined ? formatTime(v.materializedUntil) : 'never') },
        { header: 'FRESH', value: (v) => (v.stale ? 'STALE' : 'yes') },
        { header: 'OWNER', value: (v) => v.owner ?? '' },
      ]);
    });

  common(features.command('get-historical').alias('training-set').description('A point-in-time correct training set: each entity row (join keys, event_timestamp) with the features as of its time'))
    .requiredOption('--entities <file>', 'entity rows, .parquet or .csv')
    .requiredOption('--features <refs>', 'view:feature,… (a feature name alone when one view has it)')
    .requiredOption('-o, --out <file>', 'write the training set here: .parquet, .csv or .json (one JSON object per line)')
    .option('--dataset <name>', 'also register it as the next version of this dataset, with lineage from the views and their source versions')
    .option('--project <name>', 'the project a new --dataset goes in')
    .action(async (opts: Common & { entities: string; features: string; out: string; dataset?: string; project?: string }) => {
      const format = /\.csv$/i.test(opts.out) ? 'csv' : /\.jsonl?$/i.test(opts.out) ? 'json' : /\.parquet$/i.test(opts.out) ? 'parquet' : undefined;
      if (!format) throw invalid(`--out '${opts.out}': use .parquet, .csv or .json`);
      if (opts.project !== undefined && opts.dataset === undefined) throw invalid('--project names the project of a new --dataset; give --dataset too');
      const query = { features: opts.features, format, ...(opts.dataset !== undefined ? { dataset: opts.dataset } : {}), ...(opts.project !== undefined ? { project: opts.project } : {}) };
      const res = await postTable(opts, `/api/v1/features/historical?${new URLSearchParams(query).toString()}`, opts.entities);
      await pipeline(Readable.fromWeb(res.body! as WebReadableStream), fs.createWriteStream(opts.out));
      const dataset = res.headers.get('x-dataset-version') ?? undefined;
      const summary = { rows: Number(res.headers.get('x-row-count')), trainingSet: res.headers.get('x-training-set'), out: opts.out, ...(dataset ? { datasetVersion: dataset } : {}) };
      if (opts.json) return printJson(summary);
      console.log(dataset
        ? `wrote ${summary.rows} row(s) to ${opts.out}, registered as dataset version ${dataset}`
        : `wrote ${summary.rows} row(s) to ${opts.out} (training set ${summary.trainingSet})`);
    });

  common(features.command('materialize').description('Load the newest values per entity into the online store: a window (--start/--end) or incrementally since the last run'))
    .option('--start <time>', 'window start: 2024-03-01T00:00:00Z, 2024-03-01 or epoch ms')
    .option('--end <time>', 'window end (default now)')
    .option('--incremental', 'from each view\'s watermark (the end of its last materialization) to --end or now')
    .option('--views <names>', 'only these views, comma-separated')
    .action(async (opts: Common & { start?: string; end?: string; incremental?: boolean; views?: string }) => {
      if (!opts.incremental && opts.start === undefined) throw invalid('Give --start (and --end), or --incremental');
      if (opts.incremental && opts.start !== undefined) throw invalid('--incremental starts at the watermark; leave out --start');
      const body = {
        incremental: opts.incremental === true,
        ...(opts.start !== undefined ? { start: instant(opts.start, '--start') } : {}),
        ...(opts.end !== undefined ? { end: instant(opts.end, '--end') } : {}),
        ...(opts.views ? { views: opts.views.split(',').map((v) => v.trim()).filter(Boolean) } : {}),
      };
      const { items } = await registryApi(opts)<{ items: MaterializeResult[] }>('POST', '/api/v1/features/materialize', { body });
      if (opts.json) return printJson(items);
      for (const r of items) console.log(`${r.view}: ${r.rows} entit${r.rows === 1 ? 'y' : 'ies'} loaded from ${r.start !== undefined ? new Date(r.start).toISOString() : 'the beginning'} to ${new Date(r.end).toISOString()}`);
    });

  common(features.command('online').description('Online values for entities, with each value\'s status (PRESENT, NULL_VALUE, NOT_FOUND, OUTSIDE_MAX_AGE)'))
    .requiredOption('--features <refs>', 'view:feature,…')
    .requiredOption('--entity <key=value>', 'a join key value; repeat for several entities', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (opts: Common & { features: string; entity: string[] }) => {
      const entities: Record<string, string[]> = {};
      for (const e of opts.entity) {
        const eq = e.indexOf('=');
        if (eq <= 0) throw invalid(`--entity '${e}': write join_key=value`);
        (entities[e.slice(0, eq)] ??= []).push(e.slice(eq + 1));
      }
      const out = await registryApi(opts)<OnlineResult>('POST', '/api/v1/features/online', { body: { features: opts.features.split(',').map((f) => f.trim()), entities } });
      if (opts.json) return printJson(out);
      printTable(out.rows.flatMap((r) => out.features.map((f) => ({ entity: Object.entries(r.entity).map(([k, v]) => `${k}=${String(v)}`).join(' '), feature: f, ...r.values[f]! }))), [
        { header: 'ENTITY', value: (r) => r.entity },
        { header: 'FEATURE', value: (r) => r.feature },
        { header: 'VALUE', value: (r) => show(r.value) },
        { header: 'STATUS', value: (r) => r.status },
      ]);
      for (const w of out.warnings) console.error(`warning: ${w}`);
    });

  common(features.command('skew').alias('skew-check').description('Training–serving skew: logged serving values (a file, or what a deployment logged) against the offline values for the same entities and times, per feature'))
    .option('--sample <file>', 'the logged values: join keys, event_timestamp and one column per feature (.parquet or .csv)')
    .option('--deployment <name>', 'instead of a file: the feature vectors this deployment logged with its predictions (parameters.feature_vector)')
    .option('--limit <n>', 'with --deployment: the newest n logged vectors', '1000')
    .option('--since <time>', 'with --deployment: only predictions from this time on')
    .option('--features <refs>', 'view:feature,… to compare (with --deployment, default: every feature logged)')
    .option('--tolerance <x>', 'numbers within this relative difference agree', '1e-9')
    .option('--max-mismatch-rate <x>', 'exit 1 when a feature mismatches more often than this')
    .action(async (opts: Common & { sample?: string; deployment?: string; limit: string; since?: string; features?: string; tolerance: string; maxMismatchRate?: string }) => {
      if ((opts.sample === undefined) === (opts.deployment === undefined)) throw invalid('Give either --sample <file> or --deployment <name>');
      const tolerance = Number(opts.tolerance);
      if (!Number.isFinite(tolerance)) throw invalid(`--tolerance: '${opts.tolerance}' is not a number`);
      let report: SkewReport;
      if (opts.deployment !== undefined) {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw invalid(`--limit: '${opts.limit}' is not a positive whole number`);
        report = await registryApi(opts)<SkewReport>('POST', '/api/v1/features/skew/logged', { body: {
          deployment: opts.deployment, limit, tolerance, ...(opts.since !== undefined ? { since: instant(opts.since, '--since') } : {}),
          ...(opts.features ? { features: opts.features.split(',').map((f) => f.trim()).filter(Boolean) } : {}),
        } });
      } else {
        if (!opts.features) throw invalid('--features: name the features the sample has, as view:feature,…');
        const res = await postTable(opts, `/api/v1/features/skew?${new URLSearchParams({ features: opts.features, tolerance: opts.tolerance }).toString()}`, opts.sample!);
        report = (await res.json()) as SkewReport;
      }
      const gate = opts.maxMismatchRate !== undefined ? Number(opts.maxMismatchRate) : undefined;
      if (gate !== undefined && report.features.some((f) => f.mismatchRate > gate)) process.exitCode = 1;
      if (opts.json) return printJson(report);
      printTable(report.features, [
        { header: 'FEATURE', value: (f) => f.feature },
        { header: 'ROWS', value: (f) => f.rows },
        { header: 'MISMATCHES', value: (f) => f.mismatches },
        { header: 'RATE', value: (f) => `${(f.mismatchRate * 100).toFixed(1)}%` },
        { header: 'NULL MISMATCHES', value: (f) => f.nullMismatches },
        { header: 'KS P-VALUE', value: (f) => (f.distribution ? f.distribution.pValue.toFixed(3) : '') },
      ]);
    });
}
