import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
let work: string;
let runId: string;
// Not a multiple of any buffer size, so a dropped or repeated chunk shows.
const weights = Buffer.from(Array.from({ length: 300_001 }, (_, i) => (i * 7 + 3) % 251));

beforeAll(async () => {
  server = await startTestServer();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-artifacts-cli-'));
  const api = jsonClient(server.url);
  const exp = (await api.post('/api/2.0/mlflow/experiments/create', { name: 'cli-artifacts' })).body.experiment_id as string;
  runId = (await api.post('/api/2.0/mlflow/runs/create', { experiment_id: exp })).body.run.info.run_id as string;
  fs.writeFileSync(path.join(work, 'weights.bin'), weights);
  fs.mkdirSync(path.join(work, 'report/plots'), { recursive: true });
  fs.writeFileSync(path.join(work, 'report/summary.txt'), 'accuracy 0.93\n');
  fs.writeFileSync(path.join(work, 'report/plots/roc.csv'), 'fpr,tpr\n0,0\n1,1\n');
});
afterAll(async () => {
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(['artifacts', ...args, '--url', server.url]);

describe('openexpert artifacts', () => {
  it('puts a file and a directory, lists them with sizes, and gets them back byte-identical', async () => {
    // Independent CLI processes run side by side: each one pays Node's and tsx's start-up.
    const [putFile, putDir] = await Promise.all([
      cli('put', runId, path.join(work, 'weights.bin'), 'model'),
      cli('put', runId, path.join(work, 'report'), 'report', '--json'),
    ]);
    expect(putFile.stderr).toBe('');
    expect(putFile.code).toBe(0);
    expect(putFile.stdout).toMatch(/^model\/weights\.bin\s+300001$/m);
    expect(putDir.code).toBe(0);
    expect((JSON.parse(putDir.stdout) as { path: string }[]).map((p) => p.path).sort()).toEqual(['report/plots/roc.csv', 'report/summary.txt']);

    const out = path.join(work, 'weights.out');
    const dirOut = path.join(work, 'report-copy');
    const [top, reportJson, got, gotDir] = await Promise.all([
      cli('ls', runId),
      cli('ls', runId, 'report', '--json'),
      cli('get', runId, 'model/weights.bin', '-o', out),
      cli('get', runId, 'report', '-o', dirOut),
    ]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^PATH\s+SIZE$/m);
    expect(top.stdout).toMatch(/^model\/$/m);
    expect(top.stdout).toMatch(/^report\/$/m);
    const report = JSON.parse(reportJson.stdout) as unknown;
    // 'accuracy 0.93\n' is 14 bytes.
    expect(report).toEqual([{ path: 'report/plots', isDir: true }, { path: 'report/summary.txt', isDir: false, size: 14 }]);

    expect(got.code).toBe(0);
    expect(fs.readFileSync(out).equals(weights)).toBe(true);
    expect(got.stdout).toContain(createHash('sha256').update(weights).digest('hex'));

    expect(gotDir.code).toBe(0);
    expect(fs.readFileSync(path.join(dirOut, 'summary.txt'), 'utf8')).toBe('accuracy 0.93\n');
    expect(fs.readFileSync(path.join(dirOut, 'plots/roc.csv'), 'utf8')).toBe('fpr,tpr\n0,0\n1,1\n');
  });

  it('fails with RESOURCE_DOES_NOT_EXIST for an unknown run or a missing artifact', async () => {
    const [unknown, missing] = await Promise.all([cli('ls', 'no-such-run'), cli('get', runId, 'nope.bin', '-o', path.join(work, 'nope.bin'))]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('RESOURCE_DOES_NOT_EXIST');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('RESOURCE_DOES_NOT_EXIST');
    expect(fs.existsSync(path.join(work, 'nope.bin'))).toBe(false);
  });
});
