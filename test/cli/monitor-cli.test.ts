import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let dir: string;
const csv = (name: string, header: string, rows: (i: number) => string, n: number) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, [header, ...Array.from({ length: n }, (_, i) => rows(i))].join('\n'));
  return file;
};

beforeAll(async () => {
  server = await startTestServer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-monitor-cli-'));
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Each test runs the CLI in several child processes; a loaded machine takes far longer than the default 30 s.
describe('openexpert monitor and alerts', { timeout: 120_000 }, () => {
  it('writes an offline HTML report and prints the verdicts, as a table and as JSON', async () => {
    // 1,200 reference rows: Evidently switches to normed Wasserstein and Jensen–Shannon.
    const reference = csv('ref.csv', 'id,amount,region', (i) => `${i},${i % 100},${['north', 'south', 'east'][i % 3]}`, 1200);
    const current = csv('cur.csv', 'id,amount,region', (i) => `${i},${(i % 100) + 30},${['north', 'south', 'west'][i % 3]}`, 800);
    const out = path.join(dir, 'report.html');
    const table = await runCli(['monitor', 'report', '--reference', reference, '--current', current, '--exclude', 'id', '-o', out]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^amount\s+numeric\s+wasserstein\s+[\d.]+\s+0\.1\s+YES/m);
    expect(table.stdout).toMatch(/^region\s+categorical\s+jensenshannon\s+[\d.]+\s+0\.1\s+YES/m);
    expect(table.stdout).toContain('Dataset drift: YES (2 of 2 columns');
    expect(table.stdout).toContain("categories absent from the reference (west)");
    const html = fs.readFileSync(out, 'utf8');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(2);

    const json = await runCli(['monitor', 'report', '--reference', reference, '--current', reference, '--exclude', 'id', '--json']);
    const report = JSON.parse(json.stdout);
    expect(report.datasetDrift).toMatchObject({ drifted: false, driftedColumns: 0, testedColumns: 2 });

    const missing = await runCli(['monitor', 'report', '--reference', reference, '--current', path.join(dir, 'nope.parquet')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^openexpert: INVALID_PARAMETER_VALUE: Cannot read/);
  });

  it('creates a monitor from a file, ingests a batch, shows status, lists and silences alerts', async () => {
    const reference = csv('m-ref.csv', 'x,kind', (i) => `${i % 40},${i % 2 ? 'a' : 'b'}`, 400);
    const batch = csv('m-cur.csv', 'x,kind', (i) => `${(i % 40) + 25},${i % 2 ? 'a' : 'b'}`, 200);
    const created = await runCli(['monitor', 'create', 'cli-mon', '--reference', reference, '--model', 'fraud', '--url', server.url]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/Created monitor 'cli-mon' \([0-9a-f]{32}\) with 400 reference rows/);

    const rule = await fetch(`${server.url}/api/v1/monitors/cli-mon/alert-rules`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x-drift', figure: 'drifted:x', op: '>=', threshold: 1 }),
    }).then((r) => r.json() as Promise<{ ruleId: string }>);

    const ingested = await runCli(['monitor', 'ingest', 'cli-mon', batch, '--url', server.url]);
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(ingested.stdout).toMatch(/Closed window [0-9a-f]{32}: dataset drift YES \(share 0\.5\)/);

    const status = await runCli(['monitor', 'status', 'cli-mon', '--url', server.url]);
    expect(status.stdout).toMatch(/^cli-mon watching fraud: batch windows, 400 reference rows, 0 open window\(s\)/);
    expect(status.stdout).toMatch(/^drifted:x\s+1$/m);
    expect(status.stdout).toMatch(/x-drift\s+drifted:x >= 1\s+firing/);

    const listed = await runCli(['alerts', 'list', '--state', 'firing', '--url', server.url, '--json']);
    expect(JSON.parse(listed.stdout).map((r: { name: string }) => r.name)).toEqual(['x-drift']);

    const silenced = await runCli(['alerts', 'silence', rule.ruleId, '--for', '2h', '--reason', 'known', '--url', server.url]);
    expect(silenced.stdout).toMatch(/^Silenced 'x-drift' until \d{4}-/);
    const bad = await runCli(['alerts', 'silence', rule.ruleId, '--for', 'soon', '--url', server.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Invalid duration 'soon'");
  });

  it('creates a monitor whose reference is a dataset version, and ingests a JSON-lines batch streamed as Parquet', async () => {
    const train = ['x,kind', ...Array.from({ length: 1500 }, (_, i) => `${i % 40},${i % 2 ? 'a' : 'b'}`)].join('\n');
    const added = await fetch(`${server.url}/api/v1/datasets`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'cli-train', files: [{ path: 'train.csv', content: Buffer.from(train).toString('base64') }] }),
    });
    expect(added.status).toBe(201);
    const created = await runCli(['monitor', 'create', 'from-data', '--reference', 'cli-train@1', '--url', server.url, '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ referenceRows: 1500, referenceSource: { kind: 'dataset', dataset: 'cli-train', version: 1 } });

    const batch = path.join(dir, 'cur.jsonl');
    fs.writeFileSync(batch, Array.from({ length: 300 }, (_, i) => JSON.stringify({ x: (i % 40) + 30, kind: 'a' })).join('\n'));
    const ingested = await runCli(['monitor', 'ingest', 'from-data', batch, '--url', server.url, '--json']);
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(JSON.parse(ingested.stdout).window).toMatchObject({ rows: 300, status: 'closed', figures: { 'drifted:x': 1 } });

    const unknown = await runCli(['monitor', 'create', 'nothing', '--reference', 'no-such-file.txt', '--url', server.url]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Invalid reference 'no-such-file.txt'");
  });
});
