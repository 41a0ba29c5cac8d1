/**
 * The drift report at scale. Run with `npx tsx bench/monitoring.ts [--rows=N] [--no-peer]`; prints JSON.
 *
 * - memory: 1,000,000 rows × 20 columns (14 numeric, 6 categorical) of reference and current, already
 *   in memory as typed arrays and dictionary-encoded text (int32 codes and their labels, as Arrow and DuckDB
 *   hold such columns and as SciPy gets them here), through Evidently's default tests (reference > 1000
 *   rows: normed Wasserstein and Jensen–Shannon) — DESIGN.md's target is ≤ 5 s.
 * - parquet: the same table read from two Parquet files through DuckDB, one column at a time.
 * - lazy-10m: 10,000,000 rows × 5 numeric columns generated one column at a time, to show that memory
 *   follows one column, not the table.
 * - scipy: the same 1M × 20 data through SciPy/NumPy as Evidently calls them, when python3 with SciPy runs here;
 *   speedup (wall) and cpuSpeedup (CPU time, the fair figure on a busy machine) of the memory scenario over it.
 * - per-test: CPU time of each drift test on one 1M-row column pair from the raw (unsorted) values, ours
 *   against SciPy's in the same run (best of five each; ratio = SciPy CPU / ours). Categorical tests start
 *   from the same int32 codes SciPy reads (with their labels); `chisquare-strings` and `z-strings` start from
 *   an array of strings instead (the JSON API's form), counted through a map.
 * - server: the real server as a child process; the 1M × 20 reference and batch uploaded as Parquet
 *   (streamed), the window computed from the stored files; wall time, the server's CPU time and peak RSS (VmHWM).
 *   Then 10M × 5 the same way.
 *
 * Each scenario runs in its own child process so its peak RSS is its own. `--only=server,per-test` runs some
 * parts only (memory, parquet, lazy-10m, server, server-10m, per-test, scipy; scipy needs memory).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { analyzeDrift, prepareNumeric } from '../src/domain/monitoring/analysis.js';
import { STAT_TEST_INFO, runStatTest, type StatTestName } from '../src/domain/monitoring/stat-tests.js';
import { spawnServer } from '../test/support/child-server.js';
import { processCpuMs } from './tracking-outside.js';
import { openFileTable } from '../src/domain/monitoring/file-table.js';
import { categoricalFromCodes, columnFromValues, columnarTable, type CategoricalColumn, type DictionaryColumn, type TableSource } from '../src/domain/monitoring/table.js';

const NUMERIC = 14;
const CATEGORICAL = 6;
const CATEGORIES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa'];

/** xorshift32: fast, deterministic, good enough to make benchmark data. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x + 0.5) / 4294967296;
  };
}

function normals(n: number, seed: number, shift: number): Float64Array {
  const next = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next()));
    const t = 2 * Math.PI * next();
    out[i] = r * Math.cos(t) + shift;
    if (i + 1 < n) out[i + 1] = r * Math.sin(t) + shift;
  }
  return out;
}

function codes(n: number, seed: number, skew: number): Int32Array {
  const next = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(CATEGORIES.length - 1, Math.floor(next() ** (1 + skew) * CATEGORIES.length));
  return out;
}

/** Half of the numeric columns and a third of the categorical ones drift in the current data. */
const numericShift = (i: number, side: 'ref' | 'cur') => (side === 'cur' && i % 2 === 0 ? 0.25 : 0);
const categoricalSkew = (i: number, side: 'ref' | 'cur') => (side === 'cur' && i % 3 === 0 ? 0.3 : 0);

function table(rows: number, side: 'ref' | 'cur'): Record<string, Float64Array | DictionaryColumn> {
  const columns: Record<string, Float64Array | DictionaryColumn> = {};
  const salt = side === 'ref' ? 1 : 7919;
  for (let i = 0; i < NUMERIC; i++) columns[`n${i}`] = normals(rows, 1000 + i * 31 + salt, numericShift(i, side));
  for (let i = 0; i < CATEGORICAL; i++) columns[`c${i}`] = { codes: codes(rows, 5000 + i * 17 + salt, categoricalSkew(i, side)), dictionary: CATEGORIES };
  return columns;
}

/** Columns made when the analysis asks for them and dropped after: nothing holds the whole table. */
function lazyTable(rows: number, columns: number, side: 'ref' | 'cur'): TableSource {
  const names = Array.from({ length: columns }, (_, i) => `n${i}`);
  return {
    rowCount: rows,
    columnNames: names,
    inferType: async () => 'numeric',
    load: async (name) => {
      const i = Number(name.slice(1));
      return columnFromValues(name, 'numeric', normals(rows, 1000 + i * 31 + (side === 'ref' ? 1 : 7919), numericShift(i, side)));
    },
  };
}

const mb = (kb: number) => Math.round(kb / 1024);

const cpuSeconds = (f: () => unknown): number => {
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1e6);
  }
  return best;
};

/**
 * Each test from raw values, as SciPy gets them: the finite values of each side (sorted, histogrammed or
 * bucketed by whatever the test needs) or the categories counted by the analysis's own column reader,
 * then the test.
 */
function perTest(dir: string): Record<string, { cpuSeconds: number; score: number }> {
  const bytes = (name: string) => {
    const b = readFileSync(path.join(dir, name));
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  };
  const ref = new Float64Array(bytes('ref-n0.f64'));
  const cur = new Float64Array(bytes('cur-n0.f64'));
  const refCodes = new Int32Array(bytes('ref-c0.i32'));
  const curCodes = new Int32Array(bytes('cur-c0.i32'));
  // z gets a two-valued column: the codes modulo 2, labelled '0' and '1'.
  const dictionary = (binary: boolean) => (binary ? ['0', '1'] : CATEGORIES);
  const coded = (codes: Int32Array, binary: boolean): DictionaryColumn => ({ codes: binary ? codes.map((c) => c % 2) : codes, dictionary: dictionary(binary) });
  const labels = (codes: Int32Array, binary: boolean) => Array.from(coded(codes, binary).codes, (c) => dictionary(binary)[c]!);
  const out: Record<string, { cpuSeconds: number; score: number }> = {};
  for (const test of [...(Object.keys(STAT_TEST_INFO) as StatTestName[]), 'chisquare-strings', 'z-strings']) {
    let score = NaN;
    const categorical = test.startsWith('chisquare') || test.startsWith('z');
    const name = test.replace('-strings', '') as StatTestName;
    const binary = name === 'z';
    const strings = test.endsWith('-strings');
    const r = categorical ? coded(refCodes, binary) : undefined;
    const c = categorical ? coded(curCodes, binary) : undefined;
    const rs = strings ? labels(refCodes, binary) : [];
    const cs = strings ? labels(curCodes, binary) : [];
    const counts = (column: DictionaryColumn | undefined, values: readonly string[]) =>
      (strings ? (columnFromValues('c0', 'categorical', values) as CategoricalColumn) : categoricalFromCodes('c0', column!)).counts;
    const seconds = cpuSeconds(() => {
      if (categorical) {
        score = runStatTest(name, { type: 'categorical', reference: counts(r, rs), current: counts(c, cs) }).score;
        return;
      }
      score = runStatTest(name, { type: 'numeric', reference: prepareNumeric({ name: 'n0', type: 'numeric', values: ref, typeMismatches: 0 }).sample, current: prepareNumeric({ name: 'n0', type: 'numeric', values: cur, typeMismatches: 0 }).sample }).score;
    });
    out[test] = { cpuSeconds: seconds, score };
  }
  return out;
}

/** The server's high-water resident set, from /proc (Linux). */
const peakRssMb = (pid: number | undefined): number | null => {
  const m = pid === undefined ? null : /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? mb(Number(m[1])) : null;
};

async function upload(url: string, method: 'PUT' | 'POST', file: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method, headers: { 'content-type': 'application/vnd.apache.parquet', 'content-length': String(statSync(file).size) },
    body: createReadStream(file) as unknown as RequestInit['body'], duplex: 'half',
  } as RequestInit);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Reference and batch through a real server: upload, window, a second window (reference prepared already). */
export async function throughServer(refFile: string, curFile: string, home: string): Promise<Record<string, unknown>> {
  const server = await spawnServer(['--home', home]);
  try {
    const v1 = `${server.url}/api/v1`;
    await fetch(`${v1}/monitors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) });
    const cpu0 = processCpuMs(server.process.pid);
    const t0 = performance.now();
    await upload(`${v1}/monitors/bench/reference`, 'PUT', refFile);
    const t1 = performance.now();
    const first = (await upload(`${v1}/monitors/bench/ingest`, 'POST', curFile)) as { window: { rows: number; datasetDriftShare: number } };
    const t2 = performance.now();
    const cpu2 = processCpuMs(server.process.pid);
    await upload(`${v1}/monitors/bench/ingest`, 'POST', curFile);
    const t3 = performance.now();
    return {
      referenceUploadSeconds: (t1 - t0) / 1000, batchUploadAndWindowSeconds: (t2 - t1) / 1000, totalSeconds: (t2 - t0) / 1000,
      // The server's CPU for upload + first window: on a busy machine the wall clock mostly measures the neighbours.
      ...(cpu0 !== undefined && cpu2 !== undefined ? { serverCpuSeconds: (cpu2 - cpu0) / 1000 } : {}),
      secondWindowSeconds: (t3 - t2) / 1000, rows: first.window.rows, datasetDriftShare: first.window.datasetDriftShare,
      serverPeakRssMb: peakRssMb(server.process.pid), targetSeconds: 10, targetPeakRssMb: 1024,
    };
  } finally {
    await server.stop();
  }
}

/** 10M × 5 normal columns as Parquet, written by DuckDB (the current side shifted in two columns). */
export async function writeBig(file: string, seed: number, shift: number): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const u = (k: number) => `((hash(i * 10 + ${k}, ${seed}) % 1000000007)::DOUBLE + 0.5) / 1000000007`;
  const columns = Array.from({ length: 5 }, (_, k) => `sqrt(-2 * ln(${u(2 * k)})) * cos(2 * pi() * ${u(2 * k + 1)}) + ${k < 2 ? shift : 0} AS n${k}`);
  await c.run(`COPY (SELECT ${columns.join(', ')} FROM range(10000000) t(i)) TO '${file}' (FORMAT parquet)`);
  c.closeSync();
  instance.closeSync();
}

async function scenario(name: string, rows: number, dir: string): Promise<Record<string, unknown>> {
  if (name === 'memory') {
    const ref = table(rows, 'ref');
    const cur = table(rows, 'cur');
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const report = await analyzeDrift(columnarTable(ref), columnarTable(cur));
    const cpu = process.cpuUsage(c0);
    const seconds = (performance.now() - t0) / 1000;
    return {
      rows, columns: NUMERIC + CATEGORICAL, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: mb(process.resourceUsage().maxRSS), dataRssMb: Math.round(before / 2 ** 20),
      driftedColumns: report.datasetDrift.driftedColumns, tests: [...new Set(report.columns.map((c) => c.drift.test))],
    };
  }
  if (name === 'parquet') {
    const t0 = performance.now();
    const refTable = await openFileTable(path.join(dir, 'ref.parquet'));
    const curTable = await openFileTable(path.join(dir, 'cur.parquet'));
    const report = await analyzeDrift(refTable, curTable);
    refTable.close();
    curTable.close();
    return { rows, columns: NUMERIC + CATEGORICAL, seconds: (performance.now() - t0) / 1000, peakRssMb: mb(process.resourceUsage().maxRSS), driftedColumns: report.datasetDrift.driftedColumns };
  }
  if (name === 'per-test') return perTest(dir);
  if (name === 'lazy-10m') {
    const big = rows * 10;
    const t0 = performance.now();
    const report = await analyzeDrift(lazyTable(big, 5, 'ref'), lazyTable(big, 5, 'cur'));
    return { rows: big, columns: 5, seconds: (performance.now() - t0) / 1000, peakRssMb: mb(process.resourceUsage().maxRSS), includesGeneration: true, driftedColumns: report.datasetDrift.driftedColumns };
  }
  throw new Error(`unknown scenario ${name}`);
}

export async function writeFiles(rows: number, dir: string): Promise<void> {
  for (const side of ['ref', 'cur'] as const) {
    const t = table(rows, side);
    for (let i = 0; i < NUMERIC; i++) writeFileSync(path.join(dir, `${side}-n${i}.f64`), t[`n${i}`] as Float64Array);
    for (let i = 0; i < CATEGORICAL; i++) {
      writeFileSync(path.join(dir, `${side}-c${i}.i32`), (t[`c${i}`] as DictionaryColumn).codes);
    }
    // Parquet through DuckDB from a CSV written in chunks, so both readers see the same numbers.
    const csv = path.join(dir, `${side}.csv`);
    const names = Object.keys(t);
    const fd = openSync(csv, 'w');
    writeSync(fd, `${names.join(',')}\n`);
    for (let r0 = 0; r0 < rows; r0 += 10_000) {
      const lines: string[] = [];
      for (let r = r0; r < Math.min(rows, r0 + 10_000); r++) lines.push(names.map((k) => { const col = t[k]!; return col instanceof Float64Array ? col[r] : col.dictionary[col.codes[r]!]; }).join(','));
      writeSync(fd, `${lines.join('\n')}\n`);
    }
    closeSync(fd);
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    await c.run(`COPY (SELECT * FROM read_csv_auto('${csv}')) TO '${path.join(dir, `${side}.parquet`)}' (FORMAT parquet)`);
    rmSync(csv);
    c.closeSync();
    instance.closeSync();
  }
}

/** Parts of the benchmark, all by default: `--only=per-test,scipy` runs just those. */
type Part = 'memory' | 'parquet' | 'lazy-10m' | 'server' | 'server-10m' | 'per-test' | 'scipy';

export async function runMonitoringBench(options: { rows?: number; peer?: boolean; only?: readonly string[] } = {}): Promise<Record<string, unknown>> {
  const rows = options.rows ?? 1_000_000;
  const want = (part: Part) => !options.only || options.only.includes(part);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oe-bench-monitoring-'));
  const self = fileURLToPath(import.meta.url);
  try {
    await writeFiles(rows, dir);
    const results: Record<string, unknown> = { targetSeconds: 5 };
    for (const name of ['memory', 'parquet', 'lazy-10m'] as const) {
      if (!want(name)) continue;
      const out = execFileSync(process.execPath, ['--import', 'tsx', self, `--scenario=${name}`, `--rows=${rows}`, `--dir=${dir}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
      results[name] = JSON.parse(out);
    }
    if (want('server')) results.server = await throughServer(path.join(dir, 'ref.parquet'), path.join(dir, 'cur.parquet'), path.join(dir, 'server-home'));
    if (want('server-10m')) {
      await writeBig(path.join(dir, 'big-ref.parquet'), 1, 0);
      await writeBig(path.join(dir, 'big-cur.parquet'), 2, 0.2);
      results['server-10m'] = await throughServer(path.join(dir, 'big-ref.parquet'), path.join(dir, 'big-cur.parquet'), path.join(dir, 'server-home-10m'));
    }
    if (options.peer !== false && want('per-test')) {
      try {
        const ours = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, '--scenario=per-test', `--dir=${dir}`], { encoding: 'utf8' })) as Record<string, { cpuSeconds: number; score: number }>;
        const base = (test: string) => test.replace('-strings', '');
        const script = path.join(path.dirname(self), 'monitoring', 'scipy-per-test.py');
        const peer = JSON.parse(execFileSync('python3', [script, dir], { encoding: 'utf8' })) as Record<string, { cpuSeconds: number; score: number }>;
        results['per-test'] = Object.fromEntries(Object.entries(ours).map(([test, o]) => [test, {
          oursCpuSeconds: o.cpuSeconds, scipyCpuSeconds: peer[base(test)]?.cpuSeconds, ratio: peer[base(test)] ? peer[base(test)]!.cpuSeconds / o.cpuSeconds : null, ours: o.score, scipy: peer[base(test)]?.score,
        }]));
      } catch (err) {
        results['per-test'] = { skipped: (err as Error).message.split('\n')[0] };
      }
    }
    if (options.peer !== false && want('scipy') && want('memory')) {
      try {
        const script = path.join(path.dirname(self), 'monitoring', 'scipy-peer.py');
        const out = JSON.parse(execFileSync('python3', [script, dir, String(NUMERIC), String(CATEGORICAL)], { encoding: 'utf8' })) as { seconds: number; cpuSeconds: number; peakRssMb: number };
        const ours = results.memory as { seconds: number; cpuSeconds: number };
        // CPU time is the figure to compare on a shared machine; wall time is shown too.
        results.scipy = {
          seconds: out.seconds, cpuSeconds: out.cpuSeconds, peakRssMb: Math.round(out.peakRssMb),
          speedup: out.seconds / ours.seconds, cpuSpeedup: out.cpuSeconds / ours.cpuSeconds,
        };
      } catch (err) {
        results.scipy = { skipped: (err as Error).message.split('\n')[0] };
      }
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const name = arg('scenario');
  const rows = Number(arg('rows') ?? 1_000_000);
  if (name) console.log(JSON.stringify(await scenario(name, rows, arg('dir') ?? '')));
  else {
    const only = arg('only')?.split(',');
    console.log(JSON.stringify(await runMonitoringBench({ rows, peer: !process.argv.includes('--no-peer'), ...(only ? { only } : {}) }), null, 2));
  }
}
