/**
 * Datasets: sha256 throughput over a large file against `sha256sum` (and ingest into the local artifact
 * store), DuckDB profile and a 30-expectation validation suite over 1,000,000 rows × 20 columns (Parquet
 * and CSV), exact profiles at 10,000,000 rows (and the approximate path on the same table), and lineage
 * queries on a 100,000-edge graph in SQLite (and PostgreSQL with --pg). Run with `npx tsx bench/datasets.ts [--hash-mb=1024] [--rows=1000000] [--profile-rows=10000000] [--edges=100000] [--pg=postgres://…]`; prints JSON.
 */
import { execFileSync } from 'node:child_process';
import { sql } from 'kysely';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { LocalFsArtifactStore } from '../src/artifacts/local-fs.artifact-store.js';
import { blobPath } from '../src/domain/datasets/blob-files.js';
import { profileTable } from '../src/domain/datasets/profile-file.js';
import { EXACT_PROFILE_ROWS, type LineageEdge } from '../src/domain/datasets/types.js';
import { openDuckDb } from '../src/domain/monitoring/file-table.js';
import type { Expectation } from '../src/domain/validation/types.js';
import { validateFile } from '../src/domain/validation/validate-file.js';
import { migrate, openDatabase } from '../src/store/db.js';
import { SqlDatasetStore } from '../src/store/sql/datasets.sql-store.js';

export interface DatasetsBenchOptions {
  hashMb?: number | undefined;
  rows?: number | undefined;
  edges?: number | undefined;
  /** Rows of the exact-profile measurement (default: the exact-profile limit). */
  profileRows?: number | undefined;
  /** Also time the lineage queries on this PostgreSQL database (a fresh schema is made and dropped). */
  pgUrl?: string | undefined;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const seconds = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const value = await work();
  return [value, round2((performance.now() - t0) / 1000)];
};

async function hashBench(dir: string, mb: number) {
  const file = path.join(dir, 'big.bin');
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < mb; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
  // What `data add` does on the client before anything is sent.
  const [ours, oursS] = await seconds(async () => {
    const hash = createHash('sha256');
    await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), hash);
    return hash.digest('hex');
  });
  const [theirs, theirsS] = await seconds(async () => execFileSync('sha256sum', [file]).toString().split(' ')[0]);
  if (ours !== theirs) throw new Error('digest differs from sha256sum');
  // What the server does with an upload: stream it into the artifact store, hashing on the way.
  const store = new LocalFsArtifactStore(path.join(dir, 'artifacts'));
  const [stored, ingestS] = await seconds(() => store.put(blobPath(ours), fs.createReadStream(file, { highWaterMark: 1 << 20 }), { contentLength: mb << 20 }));
  if (stored.sha256 !== ours) throw new Error('stored digest differs');
  fs.rmSync(file);
  await store.delete(blobPath(ours));
  return {
    sizeMb: mb, seconds: oursS, mbPerSecond: round2(mb / oursS), sha256sumSeconds: theirsS, ratioVsSha256sum: round2(theirsS / oursS),
    storeIngestSeconds: ingestS, storeIngestMbPerSecond: round2(mb / ingestS),
  };
}

async function tableBench(dir: string, rows: number) {
  const instance = await openDuckDb();
  const connection = await instance.connect();
  // 1 id, 15 numeric and 4 categorical columns; the reference differs only in its seed.
  const generate = async (target: string, seed: number, format: string) => {
    const numeric = Array.from({ length: 15 }, (_, i) => `(hash(i * ${i + 7} + ${seed}) % 100000)::DOUBLE / 100 AS n${i}`);
    const categorical = Array.from({ length: 4 }, (_, i) => `'c' || (hash(i + ${i + seed}) % ${10 + i * 10})::VARCHAR AS c${i}`);
    await connection.run(`COPY (SELECT i AS id, ${[...numeric, ...categorical].join(', ')} FROM range(${rows}) t(i)) TO '${target}' (FORMAT ${format})`);
  };
  const parquet = { local: path.join(dir, 'wide.parquet'), name: 'wide.parquet' };
  const csv = { local: path.join(dir, 'wide.csv'), name: 'wide.csv' };
  const reference = { local: path.join(dir, 'reference.parquet'), name: 'reference.parquet' };
  await generate(parquet.local, 0, 'PARQUET');
  await generate(csv.local, 0, 'CSV');
  await generate(reference.local, 1, 'PARQUET');
  connection.closeSync();
  instance.closeSync();
  const expectations: Expectation[] = [
    { expectation_type: 'expect_table_row_count_to_be_between', kwargs: { min_value: rows, max_value: rows } },
    { expectation_type: 'expect_column_values_to_be_unique', kwargs: { column: 'id' } },
    ...Array.from({ length: 10 }, (_, i): Expectation => ({ expectation_type: 'expect_column_values_to_be_between', kwargs: { column: `n${i}`, min_value: 0, max_value: 1000 } })),
    ...Array.from({ length: 8 }, (_, i): Expectation => ({ expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: `n${i}`, mostly: 0.99 } })),
    ...Array.from({ length: 4 }, (_, i): Expectation => ({ expectation_type: 'expect_column_values_to_match_regex', kwargs: { column: `c${i}`, regex: '^c[0-9]+$' } })),
    { expectation_type: 'expect_column_mean_to_be_between', kwargs: { column: 'n10', min_value: 0, max_value: 1000 } },
    { expectation_type: 'expect_column_median_to_be_between', kwargs: { column: 'n11', min_value: 0, max_value: 1000 } },
    { expectation_type: 'expect_column_stdev_to_be_between', kwargs: { column: 'n12', min_value: 0, max_value: 1000 } },
    { expectation_type: 'expect_column_unique_value_count_to_be_between', kwargs: { column: 'c3', min_value: 1 } },
    { expectation_type: 'expect_column_psi_to_be_less_than', kwargs: { column: 'n13', reference: 'reference@1', threshold: 0.1 } },
    { expectation_type: 'expect_column_ks_p_value_to_be_greater_than', kwargs: { column: 'n14', reference: 'reference@1', threshold: 0.001 } },
  ];
  const references = new Map([['reference@1', reference]]);
  const suite = { name: 'bench', expectations };
  const [, profileParquetS] = await seconds(() => profileTable([parquet]));
  const [parquetResult, validateParquetS] = await seconds(() => validateFile(parquet, suite, Date.now(), references));
  const [, profileCsvS] = await seconds(() => profileTable([csv]));
  const [, validateCsvS] = await seconds(() => validateFile(csv, suite, Date.now(), references));
  const failed = parquetResult.results.filter((r) => !r.success).map((r) => r.expectation_config.expectation_type);
  if (failed.length > 0) throw new Error(`bench suite should pass; failed: ${failed.join(', ')}`);
  return {
    rows, columns: 20, expectations: expectations.length,
    parquet: { profileSeconds: profileParquetS, validateSeconds: validateParquetS },
    csv: { sizeMb: round2(fs.statSync(csv.local).size / 1e6), profileSeconds: profileCsvS, validateSeconds: validateCsvS },
  };
}

/** Exact profile (COUNT(DISTINCT), linear quartiles) at the exact-profile limit, and the approximate path forced on the same table. */
async function profileBench(dir: string, rows: number) {
  const file = { local: path.join(dir, 'profile.parquet'), name: 'profile.parquet' };
  const instance = await openDuckDb();
  const connection = await instance.connect();
  await connection.run(`COPY (SELECT i, (hash(i) % 100000)::DOUBLE / 100 AS x, (hash(i * 7) % 1000)::BIGINT AS k, 'c' || (hash(i * 3) % 50)::VARCHAR AS cat FROM range(${rows}) t(i)) TO '${file.local}' (FORMAT PARQUET)`);
  connection.closeSync();
  instance.closeSync();
  const [exact, exactS] = await seconds(() => profileTable([file]));
  const [, approximateS] = await seconds(() => profileTable([file], 1));
  if (exact.profile[0]!.distinctCount !== rows) throw new Error('exact distinct count of the id column is wrong');
  fs.rmSync(file.local);
  return { rows, columns: 4, exactSeconds: exactS, approximateSeconds: approximateS, exactLimitRows: EXACT_PROFILE_ROWS };
}

async function lineageBench(dbUrl: string, edgeCount: number, schema?: string) {
  const handle = await openDatabase(dbUrl, schema ? { schema } : {});
  try {
    await migrate(handle);
    const store = new SqlDatasetStore(handle);
    // Components of 10 edges: raw → clean, clean consumed by 4 runs, each run produces a model, 1 model deployed.
    const components = Math.floor(edgeCount / 10);
    const edges: LineageEdge[] = [];
    const e = (fk: string, fi: string, tk: string, ti: string, relation: string) => edges.push({ from: { kind: fk, id: fi }, to: { kind: tk, id: ti }, relation, createdAt: 1, origin: 'platform' });
    for (let c = 0; c < components; c++) {
      e('dataset_version', `raw${c}`, 'dataset_version', `clean${c}`, 'derived_from');
      for (let r = 0; r < 4; r++) {
        e('dataset_version', `clean${c}`, 'run', `run${c}-${r}`, 'consumed');
        e('run', `run${c}-${r}`, 'model_version', `m${c}/${r}`, 'produced');
      }
      e('model_version', `m${c}/0`, 'deployment', `dep${c}`, 'deployed_as');
    }
    const [, insertS] = await seconds(() => store.recordLineage(edges));
    // Autovacuum would gather statistics soon after a bulk load; do it now so the planner sees the table's size.
    if (handle.dialect === 'postgres') await sql`ANALYZE`.execute(handle.db);
    const time = async (query: (c: number) => Promise<unknown>) => {
      const samples: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        await query((i * 7919) % components);
        samples.push(performance.now() - t0);
      }
      samples.sort((a, b) => a - b);
      return { p50Ms: round2(samples[100]!), p99Ms: round2(samples[197]!) };
    };
    return {
      edges: edges.length, insertSeconds: insertS,
      downstreamFromRaw: await time((c) => store.traverse({ kind: 'dataset_version', id: `raw${c}` }, 'downstream', 10)),
      upstreamFromDeployment: await time((c) => store.traverse({ kind: 'deployment', id: `dep${c}` }, 'upstream', 10)),
    };
  } finally {
    if (schema) await sql`${sql.raw(`DROP SCHEMA ${schema} CASCADE`)}`.execute(handle.db);
    await handle.close();
  }
}

export async function runDatasetsBench(options: DatasetsBenchOptions = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oe-bench-datasets-'));
  try {
    return {
      hashing: await hashBench(dir, options.hashMb ?? 1024),
      table: await tableBench(dir, options.rows ?? 1_000_000),
      profile: await profileBench(dir, options.profileRows ?? EXACT_PROFILE_ROWS),
      lineage: await lineageBench(`sqlite:${path.join(dir, 'lineage.db')}`, options.edges ?? 100_000),
      ...(options.pgUrl ? { lineagePostgres: await lineageBench(options.pgUrl, options.edges ?? 100_000, `bench_lineage_${process.pid}`) } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function datasetsBenchOptionsFromArgs(args: readonly string[]): DatasetsBenchOptions {
  const num = (name: string) => {
    const v = args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
    return v === undefined ? undefined : Number(v);
  };
  return { hashMb: num('hash-mb'), rows: num('rows'), profileRows: num('profile-rows'), edges: num('edges'), pgUrl: args.find((a) => a.startsWith('--pg='))?.slice(5) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(JSON.stringify(await runDatasetsBench(datasetsBenchOptionsFromArgs(process.argv.slice(2))), null, 2));
}
