import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../../test/support/server.js';
import { OpenExpert, OpenExpertError, type Run } from './index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let server: Awaited<ReturnType<typeof startTestServer>>;
let oe: OpenExpert;

beforeAll(async () => {
  server = await startTestServer();
  oe = new OpenExpert({ url: server.url, retry: { baseDelayMs: 5, maxDelayMs: 50 } });
});
afterAll(() => server.close());

const kv = (pairs: readonly { key: string; value: string }[]) => Object.fromEntries(pairs.map((p) => [p.key, p.value]));
const latest = (run: Run) => Object.fromEntries(run.data.metrics.map((m) => [m.key, m]));

/** Counts the batch requests a client sends and what each carried. */
function countingFetch() {
  const batches: { params: number; tags: number; metrics: number }[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    if (String(input).endsWith('/batch') && typeof init?.body === 'string') {
      const b = JSON.parse(init.body) as { params?: unknown[]; tags?: unknown[]; metrics?: unknown[] };
      batches.push({ params: b.params?.length ?? 0, tags: b.tags?.length ?? 0, metrics: b.metrics?.length ?? 0 });
    }
    return fetch(input, init);
  };
  return { fetch: wrapped, batches };
}

describe('OpenExpert SDK against a real server', () => {
  it('logs params, metrics and tags and ends the run FINISHED with all of it readable', async () => {
    const run = await oe.startRun({ experiment: 'sdk-basic', runName: 'baseline', tags: { team: 'ml' } });
    run.logParams({ lr: 0.01, layers: 3, shuffle: true });
    run.logParam('optimizer', 'adam');
    run.setTag('stage', 'dev');
    run.setTags({ owner: 'alice' });
    for (let step = 0; step < 10; step++) run.logMetric('loss', 1 / (step + 1), { step });
    run.logMetrics({ acc: 0.9, f1: 0.8 }, { step: 9 });
    run.logMetric('diverged', NaN);
    run.logMetric('bound', -Infinity);
    await run.end();

    const got = await oe.runs.get(run.runId);
    expect(got.info).toMatchObject({ runName: 'baseline', status: 'FINISHED', lifecycleStage: 'active', experimentId: run.experimentId });
    expect(got.info.endTime).toBeGreaterThanOrEqual(got.info.startTime);
    expect(kv(got.data.params)).toEqual({ lr: '0.01', layers: '3', shuffle: 'true', optimizer: 'adam' });
    expect(kv(got.data.tags)).toMatchObject({ team: 'ml', stage: 'dev', owner: 'alice', 'mlflow.runName': 'baseline' });
    const m = latest(got);
    expect(m.loss).toMatchObject({ value: 0.1, step: 9 });
    expect(m.acc).toMatchObject({ value: 0.9, step: 9 });
    expect(m.f1?.value).toBe(0.8);
    expect(m.diverged?.value).toBeNaN();
    // Stored as MLflow stores it: ±Infinity becomes ±Number.MAX_VALUE.
    expect(m.bound?.value).toBe(-Number.MAX_VALUE);
    expect((await oe.runs.metricHistory(run.runId, 'loss')).map((p) => p.step)).toEqual([...Array(10).keys()]);

    const experiment = await oe.experiments.getByName('sdk-basic');
    expect(experiment?.experimentId).toBe(run.experimentId);
    expect((await oe.experiments.getOrCreate('sdk-basic')).experimentId).toBe(run.experimentId);
    expect(await oe.experiments.getByName('no-such-experiment')).toBeUndefined();
    const page = await oe.runs.search({ experimentIds: [run.experimentId], filter: "params.optimizer = 'adam'" });
    expect(page.items.map((r) => r.info.runId)).toEqual([run.runId]);
    expect(() => run.logMetric('late', 1)).toThrow(OpenExpertError);
  });

  it('buffers 5000 synchronously logged metrics into batches of at most 1000 and delivers them in order', async () => {
    const counting = countingFetch();
    const client = new OpenExpert({ url: server.url, fetch: counting.fetch });
    const run = await client.startRun({ experiment: 'sdk-buffering' });
    const t0 = Date.now();
    for (let i = 0; i < 5000; i++) run.logMetric('loss', 5000 - i, { step: i, timestamp: t0 + i });
    run.logParam('batch', 64);
    await run.end();

    expect(counting.batches.reduce((n, b) => n + b.metrics, 0)).toBe(5000);
    expect(counting.batches.every((b) => b.metrics <= 1000 && b.params + b.tags + b.metrics <= 1000)).toBe(true);
    expect(counting.batches.length).toBeLessThanOrEqual(7);
    const history = await client.runs.metricHistory(run.runId, 'loss');
    expect(history).toHaveLength(5000);
    expect(history.map((p) => p.step)).toEqual([...Array(5000).keys()]);
    expect(history.every((p, i) => p.value === 5000 - i && p.timestamp === t0 + i)).toBe(true);
    expect(latest(await client.runs.get(run.runId)).loss).toMatchObject({ step: 4999, value: 1 });
  });

  it('keeps batching a steady trickle instead of sending one request per round trip', async () => {
    const counting = countingFetch();
    const client = new OpenExpert({ url: server.url, fetch: counting.fetch, flushIntervalMs: 60_000 });
    const run = await client.startRun({ experiment: 'sdk-buffering' });
    for (let step = 0; step < 1500; step++) run.logMetric('loss', step, { step });
    for (let step = 1500; step < 1550; step++) {
      run.logMetric('loss', step, { step });
      await new Promise((r) => setTimeout(r, 1));
    }
    await run.end();
    expect(counting.batches.map((b) => b.metrics)).toEqual([1000, 550]);
    expect(await client.runs.metricHistory(run.runId, 'loss')).toHaveLength(1550);
  });

  it('sends in the background without waiting for flush()', async () => {
    const client = new OpenExpert({ url: server.url, flushIntervalMs: 20 });
    const run = await client.startRun({ experiment: 'sdk-background' });
    run.logMetric('x', 1);
    await expect.poll(async () => (await client.runs.get(run.runId)).data.metrics.length, { timeout: 5_000 }).toBe(1);
    await run.end();
  });

  it('fills the automatic tags unless they are given', async () => {
    const run = await oe.startRun({ experiment: 'sdk-tags' });
    await run.end();
    const tags = kv((await oe.runs.get(run.runId)).data.tags);
    expect(tags['mlflow.user']).toBe(os.userInfo().username);
    expect(tags['mlflow.source.type']).toBe('LOCAL');
    expect(tags['mlflow.source.name']).toBeTruthy();
    const script = process.argv[1];
    let head: string | undefined;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: script ? path.dirname(script) : root, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim();
    } catch {
      head = undefined;
    }
    // The commit of the checkout the entry script lives in; absent outside a git checkout.
    expect(tags['mlflow.source.git.commit']).toBe(head);

    const custom = await oe.startRun({ experiment: 'sdk-tags', tags: { 'mlflow.user': 'bob', 'mlflow.source.name': 'train.ts' } });
    await custom.end();
    expect(kv((await oe.runs.get(custom.runId)).data.tags)).toMatchObject({ 'mlflow.user': 'bob', 'mlflow.source.name': 'train.ts', 'mlflow.source.type': 'LOCAL' });
  });

  it('surfaces a re-logged param with another value as INVALID_PARAMETER_VALUE, from flush() and from end()', async () => {
    const client = new OpenExpert({ url: server.url, flushIntervalMs: 10 });
    const run = await client.startRun({ experiment: 'sdk-errors' });
    run.logParam('lr', '0.01');
    await run.flush();
    run.logParam('lr', '0.02');
    run.logMetric('loss', 0.5);
    // The background send fails first; the process carries on and the failure waits for flush().
    await new Promise((r) => setTimeout(r, 100));
    const err: unknown = await run.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenExpertError);
    expect(err).toMatchObject({ code: 'INVALID_PARAMETER_VALUE', status: 400 });
    // Params travel apart from metrics, so the bad one cost no metric.
    expect(latest(await client.runs.get(run.runId)).loss?.value).toBe(0.5);
    await run.flush();

    run.logParam('lr', '0.03');
    await expect(run.end()).rejects.toMatchObject({ name: 'OpenExpertError', code: 'INVALID_PARAMETER_VALUE' });
    const got = await client.runs.get(run.runId);
    expect(got.info.status).toBe('FINISHED');
    expect(kv(got.data.params)).toEqual({ lr: '0.01' });
  });

  it('rejects bad keys at the call and 4xx without retrying', async () => {
    let calls = 0;
    const client = new OpenExpert({
      url: server.url,
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    const run = await client.startRun({ experiment: 'sdk-errors' });
    expect(() => run.logMetric('../escape', 1)).toThrow(OpenExpertError);
    expect(() => run.logMetric('ok', 1, { step: 1.5 })).toThrow(/step/);
    await run.end();
    calls = 0;
    await expect(client.runs.get('does-not-exist')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', status: 404 });
    await expect(client.experiments.create('sdk-errors')).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS', status: 409 });
    expect(calls).toBe(2);
  });

  describe('retries through a flaky proxy', () => {
    type Mode = '503' | 'reset' | 'lose-run-create-response';

    async function flakyProxy(mode: Mode) {
      let seen = 0;
      const proxy = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
          seen++;
          if (mode === '503' && seen <= 2) {
            res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"TEMPORARILY_UNAVAILABLE","message":"try later"}}');
            return;
          }
          if (mode === 'reset' && seen <= 2) {
            req.socket.destroy();
            return;
          }
          const headers = Object.fromEntries(
            Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)) as [string, string][],
          );
          const upstream = await fetch(server.url + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
          const body = Buffer.from(await upstream.arrayBuffer());
          // The create reached the server, but its answer never reaches the client.
          if (mode === 'lose-run-create-response' && req.method === 'POST' && req.url === '/api/v1/runs' && seen <= 2) {
            req.socket.destroy();
            return;
          }
          res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(body);
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      return {
        url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        close: () => new Promise<void>((resolve) => {
          proxy.closeAllConnections();
          proxy.close(() => resolve());
        }),
      };
    }

    it.each<Mode>(['503', 'reset', 'lose-run-create-response'])('delivers everything exactly once (%s)', async (mode) => {
      const experiment = await oe.experiments.create(`sdk-retry-${mode}`);
      const proxy = await flakyProxy(mode);
      try {
        const client = new OpenExpert({ url: proxy.url, retry: { baseDelayMs: 5, maxDelayMs: 50 } });
        const run = await client.startRun({ experimentId: experiment.experimentId, runName: 'flaky' });
        run.logParam('lr', 0.1);
        for (let step = 0; step < 1500; step++) run.logMetric('loss', step, { step });
        await run.end();

        const runs = await oe.runs.search({ experimentIds: [experiment.experimentId] });
        expect(runs.items.map((r) => r.info.runId)).toEqual([run.runId]);
        expect(runs.items[0]?.info.status).toBe('FINISHED');
        expect(kv(runs.items[0]?.data.params ?? [])).toEqual({ lr: '0.1' });
        const history = await oe.runs.metricHistory(run.runId, 'loss');
        expect(history.map((p) => p.step)).toEqual([...Array(1500).keys()]);
      } finally {
        await proxy.close();
      }
    });

    it('gives up after the configured attempts with CONNECTION_ERROR', async () => {
      const proxy = await flakyProxy('reset');
      const url = proxy.url;
      await proxy.close();
      const client = new OpenExpert({ url, retry: { attempts: 3, baseDelayMs: 1 } });
      await expect(client.experiments.get('0')).rejects.toMatchObject({ code: 'CONNECTION_ERROR', status: 0 });
    });
  });

  describe('a script that never calls end()', () => {
    const sdkUrl = pathToFileURL(path.join(root, 'src/sdk/index.ts')).href;
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-sdk-exit-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    function script(name: string, body: string): string {
      const file = path.join(dir, name);
      fs.writeFileSync(
        file,
        `import { OpenExpert } from ${JSON.stringify(sdkUrl)};
const run = await new OpenExpert().startRun({ experiment: 'sdk-exit' });
console.log(run.runId);
run.logParam('epochs', 3);
for (let step = 0; step < 2500; step++) run.logMetric('loss', 1 / (step + 1), { step });
${body}
`,
      );
      return file;
    }

    function spawnScript(file: string) {
      const child = spawn(process.execPath, ['--import', 'tsx', file], {
        cwd: root,
        env: { ...process.env, OPENEXPERT_URL: server.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      const runId = async () => {
        await expect.poll(() => stdout.trim(), { timeout: 20_000 }).toMatch(/^\w+$/);
        return stdout.trim();
      };
      return { child, exited, runId, stderr: () => stderr };
    }

    async function expectDelivered(runId: string, status: string) {
      const run = await oe.runs.get(runId);
      expect(run.info.status).toBe(status);
      expect(kv(run.data.params)).toEqual({ epochs: '3' });
      const history = await oe.runs.metricHistory(runId, 'loss');
      expect(history.map((p) => p.step)).toEqual([...Array(2500).keys()]);
    }

    it('flushes and finishes the run when the process runs out of work', async () => {
      const p = spawnScript(script('exits.mts', ''));
      const { code } = await p.exited;
      expect(code, p.stderr()).toBe(0);
      await expectDelivered(await p.runId(), 'FINISHED');
    });

    it('flushes and marks the run KILLED on SIGTERM, then dies of the signal', async () => {
      const p = spawnScript(script('waits.mts', 'setInterval(() => {}, 1000);'));
      const runId = await p.runId();
      p.child.kill('SIGTERM');
      const { signal } = await p.exited;
      expect(signal, p.stderr()).toBe('SIGTERM');
      await expectDelivered(runId, 'KILLED');
    });
  });
});
