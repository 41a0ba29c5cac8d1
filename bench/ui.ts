/**
 * The web UI in Chromium against an experiment of 10,000 runs × 20 metrics: time from navigation to the
 * runs table showing rows (and the total count), time from pressing Enter in the filter box to the filtered
 * rows, time from navigation to a run page chart of a 100,000-point metric (sampled on the server beyond 2,500
 * points; `--points=1000000` for the 1M); and the chart workspace over 100 runs × 10 metrics × 1,000
 * steps, from navigation to every panel drawn; and the size of the built bundle. Run with
 * `npx tsx bench/ui.ts [--runs=N] [--points=N] [--repeat=N] [--only=table|workspace]`; prints JSON. Needs the
 * built UI (`npm run build`) and Debian's Chromium. Beyond 10,000 runs (a multiple of it) the first 10,000 are
 * logged over HTTP and copied in the database, run ids changed (logging 100,000 runs over HTTP takes too long here).
 *
 * The server runs in this process on a temp SQLite database and Chromium on the same two cores, so the
 * figures include the server's work (search, history) as a user would see it.
 */
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { builtWebUiDir } from '../src/api/web-ui.js';
import { loadConfig } from '../src/config/config.js';
import { startServer } from '../src/main.js';

export interface UiBenchOptions {
  runs?: number;
  metricsPerRun?: number;
  historyPoints?: number;
  repeat?: number;
  /** Time only the runs table, filter and run page (`table`) or only the chart workspace (`workspace`). */
  only?: 'table' | 'workspace';
}

/** The targets: each interaction under a second on this machine. */
export const UI_TARGETS = { runsTableMs: 1000, filterMs: 1000, openRunChartMs: 1000, workspaceMs: 1000 } as const;
const WORKSPACE = { runs: 100, metrics: 10, steps: 1000 } as const;
/** Line panels on a 1400 × 900 screen (two columns, two rows) and the 300 px margin the workspace loads ahead. */
const WORKSPACE_FIRST_SCREEN = 4;

const CHROMIUM = '/usr/bin/chromium';
const round = (n: number) => Math.round(n);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function call(base: string, method: string, p: string, body?: unknown): Promise<{ [k: string]: unknown }> {
  const res = await fetch(base + p, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status}: ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as { [k: string]: unknown }) : {};
}

/** m0 of run i is (i·7919 mod N)/N: a permutation of 0, 1/N, …, so `metrics.m0 > 0.99` matches exactly ⌈N/100⌉ − 1 runs. */
async function seed(base: string, runs: number, metrics: number, points: number) {
  const exp = (await call(base, 'POST', '/api/v1/experiments', { name: 'ui-bench' })) as { experimentId: string };
  const t0 = 1_700_000_000_000;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < runs; i = next++) {
      const run = (await call(base, 'POST', '/api/v1/runs', { experimentId: exp.experimentId, runName: `run-${i}`, startTime: t0 + i })) as { info: { runId: string } };
      await call(base, 'POST', `/api/v1/runs/${run.info.runId}/batch`, {
        metrics: Array.from({ length: metrics }, (_, m) => ({ key: `m${m}`, value: m === 0 ? ((i * 7919) % runs) / runs : Math.sin(i + m), timestamp: t0 + i, step: 0 })),
        params: [{ key: 'lr', value: String(10 ** -(1 + (i % 4))) }, { key: 'optimizer', value: i % 2 ? 'adam' : 'sgd' }],
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const big = (await call(base, 'POST', '/api/v1/runs', { experimentId: exp.experimentId, runName: 'long-training', startTime: t0 - 1 })) as { info: { runId: string } };
  for (let start = 0; start < points; start += 1000) {
    const n = Math.min(1000, points - start);
    await call(base, 'POST', `/api/v1/runs/${big.info.runId}/batch`, {
      metrics: Array.from({ length: n }, (_, k) => ({ key: 'loss', value: 1 / (start + k + 1) + 0.01 * Math.sin(start + k), timestamp: t0 + start + k, step: start + k })),
    });
  }
  return { experimentId: exp.experimentId, bigRunId: big.info.runId, filteredRuns: Math.ceil(runs / 100) - 1 };
}

/** HTTP-logged runs beyond which the bench copies runs in the database instead. */
const LOGGED_RUNS = 10_000;

/**
 * Copies the experiment's `run-*` runs `copies` times in the SQLite database (runs, params, tags, metrics, latest
 * metrics), each copy under new random run ids.
 */
function copyRuns(dbFile: string, experimentId: string, copies: number) {
  const db = new Database(dbFile);
  try {
    db.pragma('busy_timeout = 30000');
    db.prepare(`create temp table originals as select run_uuid from runs where experiment_id = ? and name like 'run-%'`).run(Number(experimentId));
    const cols = (t: string) => (db.prepare(`select name from pragma_table_info('${t}')`).all() as { name: string }[]).map((c) => c.name);
    const copy = db.transaction(() => {
      db.exec(`drop table if exists idmap; create temp table idmap as select run_uuid as old, lower(hex(randomblob(16))) as new from originals`);
      for (const table of ['runs', 'params', 'tags', 'metrics', 'latest_metrics']) {
        const names = cols(table);
        const select = names.map((c) => (c === 'run_uuid' ? 'm.new' : `t.${c}`)).join(', ');
        db.prepare(`insert into ${table} (${names.join(', ')}) select ${select} from ${table} t join idmap m on m.old = t.run_uuid`).run();
      }
    });
    for (let k = 0; k < copies; k++) copy();
  } finally {
    db.close();
  }
}

/** The chart workspace's experiment: 100 runs, each 10 metrics over 1,000 steps. */
async function seedWorkspace(base: string) {
  const exp = (await call(base, 'POST', '/api/v1/experiments', { name: 'ui-bench-workspace' })) as { experimentId: string };
  const t0 = 1_700_000_000_000;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < WORKSPACE.runs; i = next++) {
      const run = (await call(base, 'POST', '/api/v1/runs', { experimentId: exp.experimentId, runName: `w-${i}`, startTime: t0 + i })) as { info: { runId: string } };
      await call(base, 'POST', `/api/v1/runs/${run.info.runId}/batch`, { params: [{ key: 'lr', value: String(10 ** -(1 + (i % 4))) }] });
      for (let m = 0; m < WORKSPACE.metrics; m++) {
        await call(base, 'POST', `/api/v1/runs/${run.info.runId}/batch`, {
          metrics: Array.from({ length: WORKSPACE.steps }, (_, step) => ({ key: `metric_${m}`, value: Math.exp(-step / (200 + i)) + 0.01 * Math.sin(step + m), timestamp: t0 + step, step })),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return exp.experimentId;
}

/** All of the built JS and CSS, and the part index.html loads before the first page (pages load on demand). */
function bundleSize(dir: string) {
  const size = (files: string[]) => {
    let raw = 0;
    let gzip = 0;
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(dir, f));
      raw += bytes.length;
      gzip += zlib.gzipSync(bytes, { level: 9 }).length;
    }
    return { files: files.length, bytes: raw, gzipBytes: gzip };
  };
  const all = fs.readdirSync(path.join(dir, 'assets')).filter((f) => /\.(js|css)$/.test(f)).map((f) => `assets/${f}`);
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  return { total: size(all), initial: size(initial) };
}

export async function runUiBench(options: UiBenchOptions = {}) {
  const runs = options.runs ?? 10_000;
  const metrics = options.metricsPerRun ?? 20;
  const points = options.historyPoints ?? 100_000;
  const repeat = options.repeat ?? 3;
  const dir = builtWebUiDir();
  if (!dir) throw new Error('The web UI is not built: run `npm run build` first');
  const home = await mkdtemp(path.join(os.tmpdir(), 'oe-ui-bench-'));
  const server = await startServer(loadConfig({ home, port: 0, logLevel: 'silent' }, {}));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const seedStart = performance.now();
    if (runs > LOGGED_RUNS && runs % LOGGED_RUNS !== 0) throw new Error(`--runs beyond ${LOGGED_RUNS} must be a multiple of it`);
    const logged = Math.min(runs, LOGGED_RUNS);
    const seeded = options.only === 'workspace' ? undefined : await seed(server.url, logged, metrics, points);
    if (seeded && runs > logged) {
      copyRuns(path.join(home, 'openexpert.db'), seeded.experimentId, runs / logged - 1);
      seeded.filteredRuns *= runs / logged;
    }
    const workspaceExperiment = options.only === 'table' ? undefined : await seedWorkspace(server.url);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    // A slow answer is a figure to report, not a failure.
    page.setDefaultTimeout(300_000);
    const count = page.getByTestId('run-count');
    /** How long the browser waited for the API calls matching `pattern` in the current page (resource timing). */
    const apiMs = (pattern: string) =>
      page.evaluate<number, string>(
        (p) => performance.getEntriesByType('resource').filter((e) => e.name.includes(p)).reduce((sum, e) => sum + e.duration, 0),
        pattern,
      );
    const searchApi: number[] = [];
    const historyApi: number[] = [];
    const table: number[] = [];
    const filter: number[] = [];
    const chart: number[] = [];
    const workspace: number[] = [];
    const bulkApi: number[] = [];
    for (let r = 0; r < repeat; r++) {
      let t = performance.now();
      if (seeded) {
      await page.goto(`${server.url}/experiments/${seeded.experimentId}`);
      await page.locator('tbody tr:not(.spacer)').first().waitFor();
      table.push(performance.now() - t);
      searchApi.push(await apiMs('/api/v1/runs/search'));
      await count.filter({ hasText: /^[\d,]+ run/ }).waitFor();

      const box = page.getByLabel('Filter runs');
      await box.fill('metrics.m0 > 0.99');
      t = performance.now();
      await box.press('Enter');
      await count.filter({ hasText: new RegExp(`^${seeded.filteredRuns} runs$`) }).waitFor();
      filter.push(performance.now() - t);

      t = performance.now();
      await page.goto(`${server.url}/runs/${seeded.bigRunId}/metrics`);
      await page.getByTestId('point-count').first().waitFor();
      await page.locator('figure[role=img] canvas').first().waitFor();
      // uPlot draws in the next animation frame; count it.
      await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)))');
      chart.push(performance.now() - t);
      historyApi.push(await apiMs('/history'));
      }
      if (workspaceExperiment === undefined) continue;
      t = performance.now();
      await page.goto(`${server.url}/experiments/${workspaceExperiment}/charts`);
      // Panels load as they scroll into view: the first screen of them drawn is the first paint.
      await page.locator('[data-testid=panel] canvas').nth(WORKSPACE_FIRST_SCREEN - 1).waitFor();
      await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)))');
      workspace.push(performance.now() - t);
      bulkApi.push(await apiMs('/api/v1/runs/metric-histories'));
    }
    const load = os.loadavg().map((l) => Math.round(l * 100) / 100);
    const figure = (xs: number[]) => (xs.length ? { first: round(xs[0]!), median: round(median(xs)) } : undefined);
    const figures = { runsTableMs: figure(table), filterMs: figure(filter), openRunChartMs: figure(chart), workspaceMs: figure(workspace) };
    // The server's share of the page loads, as the browser saw it (the workspace's sampled-histories calls summed).
    const serverShare = {
      searchRunsMs: searchApi.length ? round(median(searchApi)) : undefined,
      metricHistoryMs: historyApi.length ? round(median(historyApi)) : undefined,
      workspaceHistoriesMs: bulkApi.length ? round(median(bulkApi)) : undefined,
    };
    return {
      setup: { runs, metricsPerRun: metrics, historyPoints: points, workspace: WORKSPACE, repeat, seedSeconds: Math.round(seedSeconds * 10) / 10 },
      ...figures,
      serverShare,
      bundle: bundleSize(dir),
      machine: { cpus: os.cpus().length, loadAverage: load, node: process.version, chromium: browser.version() },
      targets: UI_TARGETS,
      meetsTarget: {
        runsTable: figures.runsTableMs && figures.runsTableMs.first < UI_TARGETS.runsTableMs,
        filter: figures.filterMs && figures.filterMs.first < UI_TARGETS.filterMs,
        openRunChart: figures.openRunChartMs && figures.openRunChartMs.first < UI_TARGETS.openRunChartMs,
        workspace: figures.workspaceMs && figures.workspaceMs.first < UI_TARGETS.workspaceMs,
      },
    };
  } finally {
    await browser.close();
    await server.close();
    await rm(home, { recursive: true, force: true });
  }
}

export function uiBenchOptionsFromArgs(args: readonly string[]): UiBenchOptions {
  const num = (name: string) => {
    const a = args.find((x) => x.startsWith(`--${name}=`));
    return a ? Number(a.split('=')[1]) : undefined;
  };
  const only = args.find((x) => x.startsWith('--only='))?.split('=')[1];
  if (only !== undefined && only !== 'table' && only !== 'workspace') throw new Error('--only is table or workspace');
  return { runs: num('runs'), historyPoints: num('points'), repeat: num('repeat'), only };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await runUiBench(uiBenchOptionsFromArgs(process.argv.slice(2))), null, 2));
}
