import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { clientUrl } from '../config/config.js';
import { invalid } from '../core/errors.js';
import { analyzeDrift, type ColumnReport, type DriftOptions } from '../domain/monitoring/analysis.js';
import { duckReader } from '../domain/datasets/data-file.js';
import { openDuckDb, openFileTable } from '../domain/monitoring/file-table.js';
import { renderReportHtml } from '../domain/monitoring/report-html.js';
import { STAT_TESTS, type StatTestName } from '../domain/monitoring/stat-tests.js';
import type { AlertRule, Monitor, MonitorWindow } from '../domain/monitoring/types.js';
import { HttpClient } from '../sdk/http.js';
import { progress, putFile } from './dataset-transfer.js';
import { formatTime, printJson, printTable } from './output.js';
import { cliToken } from './credentials.js';

interface Common {
  url?: string;
  json?: boolean;
}

const api = (opts: Common) => new HttpClient(clientUrl(opts.url), cliToken(clientUrl(opts.url)), fetch);
const enc = encodeURIComponent;

/** `90s`, `30m`, `2h`, `7d` or plain milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw invalid(`Invalid duration '${text}': use e.g. 30m, 2h, 1d`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms'] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '' : Number.isFinite(v) ? Number(v.toPrecision(4)) : String(v));

const driftColumns = [
  { header: 'COLUMN', value: (c: ColumnReport) => c.name + (c.role === 'prediction' ? ' (prediction)' : '') },
  { header: 'TYPE', value: (c: ColumnReport) => c.type },
  { header: 'TEST', value: (c: ColumnReport) => c.drift.test },
  { header: 'SCORE', value: (c: ColumnReport) => fmt(c.drift.score) },
  { header: 'THRESHOLD', value: (c: ColumnReport) => c.drift.threshold },
  { header: 'DRIFT', value: (c: ColumnReport) => (c.drift.drifted === null ? `n/a: ${c.drift.reason ?? ''}` : c.drift.drifted ? 'YES' : 'no') },
  { header: 'MISSING', value: (c: ColumnReport) => `${(c.quality.current.missingShare * 100).toFixed(1)}%` },
];

const alertColumns = [
  { header: 'ID', value: (r: AlertRule) => r.ruleId },
  { header: 'NAME', value: (r: AlertRule) => r.name },
  { header: 'CONDITION', value: (r: AlertRule) => `${r.figure} ${r.op} ${r.threshold}${r.forWindows > 1 ? ` for ${r.forWindows} windows` : ''}` },
  { header: 'STATE', value: (r: AlertRule) => r.state },
  { header: 'VALUE', value: (r: AlertRule) => fmt(r.lastValue) },
  { header: 'SINCE', value: (r: AlertRule) => formatTime(r.stateSince) },
  { header: 'SILENCED UNTIL', value: (r: AlertRule) => (r.silencedUntil && r.silencedUntil > Date.now() ? formatTime(r.silencedUntil) : '') },
];

const collect = (v: string, prev: string[]) => [...prev, v];

/**
 * Sends a local table to the server as a streamed upload: CSV and Parquet as they are, TSV and JSON made into
 * Parquet by DuckDB first. Nothing is read whole into memory, whatever the file's size.
 */
async function sendTable<T>(opts: Common, method: 'PUT' | 'POST', urlPath: string, file: string): Promise<T> {
  if (!existsSync(file)) throw invalid(`No such file '${file}'`);
  let local = file;
  let scratch: string | undefined;
  try {
    if (!/\.(csv|parquet)$/i.test(file)) {
      scratch = mkdtempSync(path.join(os.tmpdir(), 'oe-table-'));
      local = path.join(scratch, 'table.parquet');
      const instance = await openDuckDb(scratch);
      const connection = await instance.connect();
      try {
        await connection.run(`COPY (SELECT * FROM ${duckReader({ local: file, name: file })}) TO '${local.replace(/'/g, "''")}' (FORMAT parquet)`);
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    }
    const size = statSync(local).size;
    const bar = progress(`uploading ${path.basename(file)}`, size);
    try {
      const contentType = /\.csv$/i.test(local) ? 'text/csv' : 'application/vnd.apache.parquet';
      return (await putFile(opts, urlPath, local, size, bar.counter(), { method, contentType })) as T;
    } finally {
      bar.stop();
    }
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

/** A reference named on the command line: a local file, else `name@version` of a dataset, else a file in the server's artifact store. */
function referenceKind(reference: string): 'file' | 'dataset' | 'uri' {
  if (existsSync(reference)) return 'file';
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9._-]*$/.test(reference)) return 'dataset';
  if (/\.(parquet|csv|tsv)$/i.test(reference)) return 'uri';
  throw invalid(`Invalid reference '${reference}': give a data file, a dataset version (name@version) or a .parquet/.csv file in the artifact store`);
}

export function registerMonitorCommand(program: Command): void {
  const monitor = program.command('monitor').description('Drift and data quality monitors; offline drift reports');

  monitor
    .command('report')
    .description('Compare two data files (Parquet, CSV, JSON) offline, with Evidently\'s tests, and write a self-contained HTML or JSON report')
    .requiredOption('--reference <file>', 'reference data, e.g. the training set')
    .requiredOption('--current <file>', 'current data, e.g. today\'s inputs')
    .option('-o, --output <file>', 'write the report here: .html or .json')
    .option('--stattest <name>', `one test for every column: ${STAT_TESTS.join(', ')}`)
    .option('--threshold <x>', 'threshold for that test')
    .option('--drift-share <x>', 'share of drifted columns that makes dataset drift', '0.5')
    .option('--prediction <column>', 'the prediction column, reported as prediction drift')
    .option('--exclude <column>', 'leave a column out (ids, timestamps); repeatable', collect, [])
    .option('--json', 'print the report as JSON')
    .action(async (opts: { reference: string; current: string; output?: string; stattest?: string; threshold?: string; driftShare: string; prediction?: string; exclude: string[]; json?: boolean }) => {
      if (opts.stattest && !(STAT_TESTS as readonly string[]).includes(opts.stattest)) throw invalid(`Unknown test '${opts.stattest}': use one of ${STAT_TESTS.join(', ')}`);
      const options: DriftOptions = {
        ...(opts.stattest ? { stattest: opts.stattest as StatTestName } : {}),
        ...(opts.threshold !== undefined ? { threshold: Number(opts.threshold) } : {}),
        driftShare: Number(opts.driftShare),
        ...(opts.prediction ? { predictionColumn: opts.prediction } : {}),
        excludeColumns: opts.exclude,
        ...(process.stderr.isTTY ? { onColumn: (i: number, n: number, c: string) => process.stderr.write(`\r\x1b[Kcolumn ${i + 1}/${n}: ${c}`) } : {}),
      };
      const reference = await openFileTable(opts.reference);
      const current = await openFileTable(opts.current).catch((err: unknown) => {
        reference.close();
        throw err;
      });
      try {
        const report = await analyzeDrift(reference, current, options);
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
        if (opts.output) {
          writeFileSync(opts.output, /\.json$/i.test(opts.output) ? JSON.stringify(report, null, 2) : renderReportHtml(report, `Drift report: ${opts.current} against ${opts.reference}`));
        }
        if (opts.json) printJson(report);
        else {
          printTable([...report.columns, ...(report.predictionDrift ? [report.predictionDrift] : [])], driftColumns);
          const d = report.datasetDrift;
          console.log(`\nDataset drift: ${d.drifted === null ? 'not decided' : d.drifted ? 'YES' : 'no'} (${d.driftedColumns} of ${d.testedColumns} columns, threshold ${d.threshold})`);
          for (const f of report.findings) console.log(`${f.severity}: ${f.column ? `${f.column}: ` : ''}${f.message}`);
          if (opts.output) console.log(`Report written to ${opts.output}`);
        }
      } finally {
        reference.close();
        current.close();
      }
    });

  monitor
    .command('create <name>')
    .description('Create a monitor on the server, with its reference from a file (streamed, any size) or a dataset version')
    .requiredOption('--reference <file|dataset@version|uri>', 'reference data: a Parquet, CSV or JSON file; a dataset version such as churn-train@3; or a .parquet/.csv path in the artifact store')
    .option('--model <name>', 'registered model it watches')
    .option('--model-version <version>', 'model version it watches')
    .option('--window <kind>', 'batch, hour or day', 'batch')
    .option('--prediction <column>', 'the prediction column')
    .option('--id-column <column>', 'prediction id, joins delayed labels')
    .option('--task <task>', 'classification or regression, for performance once labels arrive')
    .option('--stattest <name>', 'one test for every column instead of Evidently\'s choice')
    .option('--drift-share <x>', 'share of drifted columns that makes dataset drift')
    .option('--project <name>', 'the project it goes in (default: the default project)')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: Common & { reference: string; model?: string; modelVersion?: string; window: string; prediction?: string; idColumn?: string; task?: string; stattest?: string; driftShare?: string; project?: string }) => {
      const kind = referenceKind(opts.reference);
      const config = {
        ...(opts.prediction ? { predictionColumn: opts.prediction } : {}), ...(opts.idColumn ? { idColumn: opts.idColumn } : {}),
        ...(opts.task ? { task: opts.task } : {}), ...(opts.stattest ? { stattest: opts.stattest } : {}),
        ...(opts.driftShare ? { driftShare: Number(opts.driftShare) } : {}),
      };
      const reference = kind === 'dataset' ? { dataset: opts.reference } : kind === 'uri' ? { uri: opts.reference } : undefined;
      let created = await api(opts).request<Monitor>('POST', '/api/v1/monitors', {
        body: { name, window: opts.window, ...(opts.model ? { modelName: opts.model } : {}), ...(opts.modelVersion ? { modelVersion: opts.modelVersion } : {}), config, ...(reference ? { reference } : {}), ...(opts.project ? { project: opts.project } : {}) },
      });
      if (kind === 'file') {
        try {
          created = await sendTable<Monitor>(opts, 'PUT', `/api/v1/monitors/${enc(created.monitorId)}/reference`, opts.reference);
        } catch (err) {
          // A monitor without the reference it was created for is not what was asked for.
          await api(opts).request('DELETE', `/api/v1/monitors/${enc(created.monitorId)}`).catch(() => undefined);
          throw err;
        }
      }
      if (opts.json) printJson(created);
      else console.log(`Created monitor '${created.name}' (${created.monitorId}) with ${created.referenceRows} reference rows`);
    });

  monitor
    .command('ingest <monitor> <file>')
    .description('Send a batch of production inputs and predictions; a batch window is analyzed at once')
    .option('--timestamp <ms>', 'when the rows were seen (epoch ms); picks the hour or day window')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (name: string, file: string, opts: Common & { timestamp?: string }) => {
      const query = opts.timestamp ? `?timestamp=${enc(opts.timestamp)}` : '';
      const out = await sendTable<{ window: MonitorWindow & { figures?: Record<string, number> }; closed: (MonitorWindow & { figures?: Record<string, number> })[] }>(
        opts, 'POST', `/api/v1/monitors/${enc(name)}/ingest${query}`, file,
      );
      if (opts.json) return printJson(out);
      console.log(`Window ${out.window.windowId}: ${out.window.rows} rows, ${out.window.status}`);
      for (const w of out.closed) {
        console.log(`Closed window ${w.windowId}: dataset drift ${w.datasetDrift === null ? 'not decided' : w.datasetDrift ? 'YES' : 'no'} (share ${fmt(w.datasetDriftShare)})`);
      }
    });

  monitor
    .command('status <monitor>')
    .description('The latest window\'s figures and the state of the monitor\'s alerts')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: Common) => {
      const st = await api(opts).request<{ monitor: Monitor; latest: (MonitorWindow & { figures: Record<string, number> }) | null; openWindows: MonitorWindow[]; alerts: AlertRule[] }>(
        'GET', `/api/v1/monitors/${enc(name)}/status`,
      );
      if (opts.json) return printJson(st);
      const m = st.monitor;
      console.log(`${m.name}${m.modelName ? ` watching ${m.modelName}${m.modelVersion ? ` v${m.modelVersion}` : ''}` : ''}: ${m.window} windows, ${m.referenceRows} reference rows, ${st.openWindows.length} open window(s)`);
      if (st.latest) {
        console.log(`Latest window ${st.latest.windowId} (${formatTime(st.latest.start)}), ${st.latest.rows} rows, closed ${formatTime(st.latest.closedAt)}:`);
        printTable(Object.entries(st.latest.figures), [{ header: 'FIGURE', value: ([k]) => k }, { header: 'VALUE', value: ([, v]) => fmt(v) }]);
      } else console.log('No window closed yet.');
      console.log('');
      printTable(st.alerts, alertColumns);
    });
}

export function registerAlertsCommand(program: Command): void {
  const alerts = program.command('alerts').description('Monitoring alert rules: list and silence');

  alerts
    .command('list')
    .description('Alert rules and their states')
    .option('--monitor <name>', 'only this monitor\'s rules')
    .option('--state <state>', 'inactive, pending, firing or resolved')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (opts: Common & { monitor?: string; state?: string }) => {
      const page = await api(opts).request<{ items: AlertRule[] }>('GET', '/api/v1/alerts', { query: { monitor: opts.monitor, state: opts.state } });
      if (opts.json) printJson(page.items);
      else printTable(page.items, alertColumns);
    });

  alerts
    .command('silence <ruleId>')
    .description('Mute a rule\'s notifications and retrain triggers for a while; its state is still tracked')
    .requiredOption('--for <duration>', 'e.g. 30m, 2h, 1d')
    .option('--reason <text>', 'why, for whoever looks next')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (ruleId: string, opts: Common & { for: string; reason?: string }) => {
      const rule = await api(opts).request<AlertRule>('POST', `/api/v1/alerts/${enc(ruleId)}/silence`, {
        body: { durationMs: parseDuration(opts.for), ...(opts.reason ? { reason: opts.reason } : {}) },
      });
      if (opts.json) printJson(rule);
      else console.log(`Silenced '${rule.name}' until ${formatTime(rule.silencedUntil)}`);
    });
}
