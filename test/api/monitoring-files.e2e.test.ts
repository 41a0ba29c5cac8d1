import { createReadStream, statSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient, type JsonResponse } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * Production-sized references and batches through the server: tables stream in as Parquet or CSV (no body
 * limit), are stored as Parquet in the artifact store, and windows are computed from the stored files.
 */
const ROWS = 1_000_000;
const NUMERIC = 14;
const CATEGORICAL = 6;

/**
 * A deterministic 1M × 20 table written by DuckDB: numeric columns are normal by Box–Muller over hashed
 * uniforms; `shift` moves the even numeric columns by that many standard deviations, and makes the first
 * categorical column favour its first category.
 */
async function writeTable(file: string, seed: number, shift: number): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const u = (k: number) => `((hash(i * 40 + ${k}, ${seed}) % 1000000007)::DOUBLE + 0.5) / 1000000007`;
  const numeric = Array.from({ length: NUMERIC }, (_, k) => `sqrt(-2 * ln(${u(2 * k)})) * cos(2 * pi() * ${u(2 * k + 1)}) + ${k % 2 === 0 ? shift : 0} AS n${k}`);
  const categorical = Array.from({ length: CATEGORICAL }, (_, k) =>
    `CASE WHEN ${k === 0 && shift > 0 ? `${u(30 + k)} < 0.4` : 'false'} THEN 'c0' ELSE 'c' || (hash(i * 7 + ${k}, ${seed}) % 8)::VARCHAR END AS cat${k}`);
  await c.run(`COPY (SELECT ${[...numeric, ...categorical].join(', ')} FROM range(${ROWS}) t(i)) TO '${file}' (FORMAT parquet)`);
  c.closeSync();
  instance.closeSync();
}

/** Mean and population standard deviation as DuckDB computes them: an independent check of the report's summaries. */
async function duckStats(file: string, column: string): Promise<{ mean: number; std: number }> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const [row] = await (await c.run(`SELECT avg(${column}) AS mean, stddev_pop(${column}) AS std FROM read_parquet('${file}')`)).getRowObjects();
  c.closeSync();
  instance.closeSync();
  return { mean: Number(row!.mean), std: Number(row!.std) };
}

async function upload(url: string, method: 'PUT' | 'POST', file: string, contentType: string): Promise<JsonResponse> {
  const init: RequestInit & { duplex: 'half' } = {
    method,
    headers: { 'content-type': contentType, 'content-length': String(statSync(file).size) },
    body: createReadStream(file) as unknown as RequestInit['body'],
    duplex: 'half',
  };
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('monitoring with production-sized tables', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  let dir: string;
  let v1: string;

  beforeAll(async () => {
    server = await startTestServer();
    v1 = `${server.url}/api/v1`;
    api = jsonClient(v1);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oe-monitor-files-'));
    await writeTable(path.join(dir, 'reference.parquet'), 1, 0);
    await writeTable(path.join(dir, 'current.parquet'), 2, 0.5);
  }, 120_000);
  afterAll(async () => {
    await server.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('takes a 1M × 20 Parquet reference and a 1M × 20 Parquet batch as streamed uploads and computes the window from the stored files', async () => {
    const reference = path.join(dir, 'reference.parquet');
    const current = path.join(dir, 'current.parquet');
    // Far over the 16 MiB JSON body limit: the upload must stream.
    expect(statSync(reference).size).toBeGreaterThan(64 * 2 ** 20);
    expect((await api.post('/monitors', { name: 'big' })).status).toBe(201);

    const ref = await upload(`${v1}/monitors/big/reference`, 'PUT', reference, 'application/vnd.apache.parquet');
    expect(ref.status).toBe(200);
    expect(ref.body).toMatchObject({ referenceRows: ROWS, referenceSource: { kind: 'upload', format: 'parquet' } });

    const ingest = await upload(`${v1}/monitors/big/ingest`, 'POST', current, 'application/vnd.apache.parquet');
    expect(ingest.status).toBe(200);
    expect(ingest.body.window).toMatchObject({ status: 'closed', rows: ROWS });

    const window = (await api.get(`/monitors/big/windows/${ingest.body.window.windowId}`)).body;
    const report = window.result.report;
    expect(report).toMatchObject({ referenceRows: ROWS, currentRows: ROWS });
    const byName = new Map<string, JsonResponse['body']>(report.columns.map((c: { name: string }) => [c.name, c]));
    expect(byName.size).toBe(NUMERIC + CATEGORICAL);
    // Evidently's choice for a reference over 1000 rows: normed Wasserstein for numeric columns, Jensen–Shannon for categories.
    for (let k = 0; k < NUMERIC; k++) {
      const column = byName.get(`n${k}`);
      expect(column.drift.test).toBe('wasserstein');
      // A shift of half a standard deviation moves the normed Wasserstein distance to about 0.5; none stays near 0.
      if (k % 2 === 0) expect(column.drift.score).toBeGreaterThan(0.4);
      else expect(column.drift.score).toBeLessThan(0.02);
      expect(column.drift.drifted).toBe(k % 2 === 0);
    }
    expect(byName.get('cat0').drift).toMatchObject({ test: 'jensenshannon', drifted: true });
    for (let k = 1; k < CATEGORICAL; k++) expect(byName.get(`cat${k}`).drift).toMatchObject({ test: 'jensenshannon', drifted: false });
    expect(report.datasetDrift).toMatchObject({ driftedColumns: NUMERIC / 2 + 1, testedColumns: NUMERIC + CATEGORICAL, share: 0.4, drifted: false });

    const expected = await duckStats(current, 'n0');
    expect(byName.get('n0').quality.current.mean).toBeCloseTo(expected.mean, 9);
    expect(byName.get('n0').quality.current.std).toBeCloseTo(expected.std, 9);
    const expectedRef = await duckStats(reference, 'n3');
    expect(byName.get('n3').quality.reference.std).toBeCloseTo(expectedRef.std, 9);
  }, 180_000);

  it('takes a CSV upload (stored as Parquet), and refuses a malformed one without losing the reference', async () => {
    const lines = ['x,plan'];
    for (let i = 0; i < 200_000; i++) lines.push(`${(i * 7919) % 1000},${i % 3 === 0 ? 'pro' : 'basic'}`);
    const csv = path.join(dir, 'ref.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    expect((await api.post('/monitors', { name: 'csv' })).status).toBe(201);
    const ref = await upload(`${v1}/monitors/csv/reference`, 'PUT', csv, 'text/csv');
    expect(ref.status).toBe(200);
    expect(ref.body).toMatchObject({ referenceRows: 200_000, referenceSource: { kind: 'upload', format: 'csv' } });

    const ragged = path.join(dir, 'ragged.csv');
    writeFileSync(ragged, 'x,plan\n1,pro\n2,basic,extra\n3,pro\n');
    const bad = await upload(`${v1}/monitors/csv/reference`, 'PUT', ragged, 'text/csv');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/line 3 has 3 fields where the header has 2/);
    expect((await api.get('/monitors/csv')).body.referenceRows).toBe(200_000);

    const noFormat = await upload(`${v1}/monitors/csv/ingest`, 'POST', csv, 'application/octet-stream');
    expect(noFormat.status).toBe(400);
    expect(noFormat.body.error.message).toMatch(/'format'/);

    const batch = await upload(`${v1}/monitors/csv/ingest?format=csv`, 'POST', csv, 'application/octet-stream');
    expect(batch.status).toBe(200);
    expect(batch.body.window.figures).toMatchObject({ dataset_drift_share: 0 });
  }, 120_000);

  it('refuses a Parquet upload DuckDB cannot read with a 400 that names no server path, and keeps no file of it', async () => {
    const bad = path.join(dir, 'bad.parquet');
    writeFileSync(bad, 'PAR1 this is not a Parquet file');
    expect((await api.post('/monitors', { name: 'bad-parquet', reference: { columns: { x: [1, 2, 3] } } })).status).toBe(201);
    const monitorId = (await api.get('/monitors/bad-parquet')).body.monitorId;
    const files = async (role: string) => fs.readdir(path.join(server.home, 'artifacts', 'monitoring', monitorId, role)).catch(() => []);

    for (const [method, route, role] of [['PUT', 'reference', 'reference'], ['POST', 'ingest', 'batches']] as const) {
      const refused = await upload(`${v1}/monitors/bad-parquet/${route}`, method, bad, 'application/vnd.apache.parquet');
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(/^Cannot read 'upload\.parquet'/);
      expect(refused.body.error.message).not.toContain(server.home);
      expect(await files(role)).toEqual([]);
    }
    expect((await api.get('/monitors/bad-parquet')).body.referenceRows).toBe(3);
  }, 60_000);

  it('takes its reference from a dataset version, and records it in lineage', async () => {
    const csv = ['age,plan', ...Array.from({ length: 2000 }, (_, i) => `${20 + (i % 50)},${i % 4 === 0 ? 'pro' : 'basic'}`)].join('\n');
    const added = await api.post('/datasets', { name: 'churn-train', files: [{ path: 'train.csv', content: Buffer.from(csv).toString('base64') }] });
    expect(added.status).toBe(201);

    const created = await api.post('/monitors', { name: 'from-dataset', reference: { dataset: 'churn-train@1' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ referenceRows: 2000, referenceSource: { kind: 'dataset', dataset: 'churn-train', version: 1, path: 'train.csv' } });

    const lineage = await api.get(`/lineage/dataset_version/${encodeURIComponent('churn-train@1')}`, { direction: 'downstream' });
    expect(lineage.body.edges).toContainEqual(expect.objectContaining({ to: { kind: 'monitor', id: created.body.monitorId }, relation: 'reference_of' }));

    const ingest = await api.post('/monitors/from-dataset/ingest', { rows: Array.from({ length: 500 }, (_, i) => ({ age: 40 + (i % 50), plan: 'pro' })) });
    expect(ingest.status).toBe(200);
    expect(ingest.body.window.figures['drifted:age']).toBe(1);

    const missing = await api.post('/monitors', { name: 'no-such-dataset', reference: { dataset: 'nope@1' } });
    expect(missing.status).toBe(404);
    expect((await api.get('/monitors/no-such-dataset')).status).toBe(404);
    const outside = await api.call('PUT', '/monitors/from-dataset/reference', { uri: 's3://elsewhere/ref.parquet' });
    expect(outside.status).toBe(400);
    expect(outside.body.error.message).toMatch(/'uri'.*not in this server's artifact store/);
  }, 60_000);
});
