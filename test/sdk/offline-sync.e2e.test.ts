import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenExpert } from '../../src/sdk/index.js';
import { readLog, walFile } from '../../src/sdk/wal.js';
import { cliArgv } from '../support/cli.js';
import { freePort, spawnServer, type ChildServer } from '../support/child-server.js';

/**
 * The offline-first SDK (issue 24): runs logged without a server, or while it is gone, are kept in a
 * write-ahead log and replayed by `sync` — with the writer, the syncer and the server killed at random
 * points, nothing acknowledged is lost and nothing is stored twice.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const T0 = 1_700_000_000_000;

/** A seeded generator, so the "random" kill points are the same on every run. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('offline runs and sync', () => {
  let home: string;
  let work: string;
  let server: ChildServer;
  let port: number;
  const start = async () => {
    server = await spawnServer(['--home', home], {}, port);
  };
  const client = (dir: string, extra: ConstructorParameters<typeof OpenExpert>[0] = {}) =>
    new OpenExpert({ url: `http://127.0.0.1:${port}`, offlineDir: dir, retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 50 }, ...extra });
  /** Every point of a metric on the server, checked to be each step once. */
  const history = async (oe: OpenExpert, runId: string, key: string) => {
    const points = await oe.runs.metricHistory(runId, key);
    return points.map((p) => p.step).sort((a, b) => a - b);
  };

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'oe-offline-home-'));
    work = await mkdtemp(path.join(os.tmpdir(), 'oe-offline-'));
    port = await freePort();
    await start();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await rm(home, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  it('logs a run offline with nothing sent, then syncs it once: every point, param and tag, and its end', async () => {
    const dir = path.join(work, 'plain');
    const oe = client(dir, { offline: true });
    const run = await oe.startRun({ experiment: 'offline-plain', runName: 'on-the-train' });
    run.logParams({ lr: 0.01, depth: 6 });
    run.setTag('team', 'fraud');
    for (let step = 0; step < 2_500; step++) run.logMetric('loss', 1 / (step + 1), { step, timestamp: T0 + step });
    await run.end();
    // Nothing reached the server: the experiment does not even exist yet.
    expect(await oe.experiments.getByName('offline-plain')).toBeUndefined();
    const { records } = readLog(walFile(dir, run.runId));
    expect(records.map((r) => r.op)).toEqual(['create', 'batch', 'batch', 'batch', 'batch', 'end']);

    const [synced] = await oe.sync();
    expect(synced).toMatchObject({ runId: run.runId, state: 'synced', metrics: 2_500, params: 2, records: 6, tornTail: false });
    const onServer = await oe.runs.get(synced!.serverRunId!);
    expect(onServer.info).toMatchObject({ runName: 'on-the-train', status: 'FINISHED' });
    expect(Object.fromEntries(onServer.data.params.map((p) => [p.key, p.value]))).toEqual({ lr: '0.01', depth: '6' });
    expect(onServer.data.tags.find((t) => t.key === 'team')?.value).toBe('fraud');
    expect(await history(oe, synced!.serverRunId!, 'loss')).toEqual(Array.from({ length: 2_500 }, (_, i) => i));
    // A second sync finds nothing left; the log was moved aside.
    expect(await oe.sync()).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'synced', `${run.runId}.wal`))).toBe(true);
  }, 60_000);

  it('survives the writer killed at random points: every point it had made durable arrives, once, and the run ends KILLED', async () => {
    const dir = path.join(work, 'crash');
    const script = path.join(work, 'writer.mts');
    fs.writeFileSync(script, `
import { OpenExpert } from ${JSON.stringify(path.join(root, 'src/sdk/index.ts'))};
const oe = new OpenExpert({ offline: true, offlineDir: process.argv[2] });
const run = await oe.startRun({ experiment: 'offline-crash' });
console.log('run ' + run.runId);
for (let i = 0; ; i++) {
  run.logMetric('loss', 1 / (i + 1), { step: i, timestamp: ${T0} + i });
  if (i % 250 === 249) { await run.flush(); console.log('durable ' + (i + 1)); }
}
`);
    const rand = random(24);
    const oe = client(dir);
    for (let trial = 0; trial < 3; trial++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      // Wait until it has made something durable, then kill it a random moment later.
      const deadline = Date.now() + 60_000;
      while (!/durable \d+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50 + rand() * 400));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const durable = Math.max(...[...out.matchAll(/durable (\d+)/g)].map((m) => Number(m[1])));
      const runId = /run ([0-9a-f]{32})/.exec(out)![1]!;

      const report = await oe.sync([runId]);
      expect(report[0], JSON.stringify(report)).toMatchObject({ runId, state: 'synced' });
      const steps = await history(oe, report[0]!.serverRunId!, 'loss');
      // At least what it said was durable; a prefix of what it logged; no step twice.
      expect(steps.length).toBeGreaterThanOrEqual(durable);
      expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
      expect((await oe.runs.get(report[0]!.serverRunId!)).info.status).toBe('KILLED');
    }
  }, 240_000);

  it('replays each record once when the sync is killed and when the server dies mid-sync', async () => {
    const dir = path.join(work, 'interrupted');
    const oe = client(dir, { offline: true });
    const run = await oe.startRun({ experiment: 'offline-interrupted' });
    run.logParam('seed', 7);
    for (let step = 0; step < 40_000; step++) run.logMetric('acc', step / 40_000, { step, timestamp: T0 + step });
    await run.end();
    const progress = path.join(dir, `${run.runId}.progress`);

    // The CLI's sync, killed once it has sent something.
    const [node, ...cliArgs] = cliArgv();
    const cli = spawn(node!, [...cliArgs, 'sync', '--dir', dir, '--url', server.url], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const deadline = Date.now() + 90_000;
    while (!fs.existsSync(progress) && cli.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const cliExited = new Promise((r) => cli.once('exit', r));
    cli.kill('SIGKILL');
    await cliExited;
    const afterKill = JSON.parse(fs.readFileSync(progress, 'utf8')) as { syncedSeq: number; serverRunId: string };
    expect(afterKill.syncedSeq).toBeLessThan(readLog(walFile(dir, run.runId)).records.length);

    // Then the server dies under an in-process sync: it stops, says why, and loses nothing.
    const syncing = oe.sync();
    await new Promise((r) => setTimeout(r, 30));
    await server.stop('SIGKILL');
    const interrupted = await syncing;
    await start();
    const failedOrDone = interrupted[0]!;
    if (failedOrDone.state === 'failed') expect(failedOrDone.unreachable).toBe(true);

    const [done] = await oe.sync();
    expect(done ?? failedOrDone).toMatchObject({ state: 'synced', serverRunId: afterKill.serverRunId });
    expect(await history(oe, afterKill.serverRunId, 'acc')).toEqual(Array.from({ length: 40_000 }, (_, i) => i));
    const onServer = await oe.runs.get(afterKill.serverRunId);
    expect([onServer.info.status, onServer.data.params]).toEqual(['FINISHED', [{ key: 'seed', value: '7' }]]);
  }, 240_000);

  it('keeps a run the server could not take — at the start, or gone mid-run — and sends it when the server is back', async () => {
    const dir = path.join(work, 'auto');
    await server.stop();
    const oe = client(dir, { syncIntervalMs: 0 });
    const early = await oe.startRun({ experiment: 'offline-auto', runName: 'early' });
    early.logMetric('x', 1, { step: 0 });
    await early.end();
    await start();
    const live = await oe.startRun({ experiment: 'offline-auto', runName: 'live' });
    for (let step = 0; step < 300; step++) live.logMetric('y', step, { step, timestamp: T0 + step });
    await live.flush();
    await server.stop('SIGKILL');
    for (let step = 300; step < 600; step++) live.logMetric('y', step, { step, timestamp: T0 + step });
    // Without the server the flush still succeeds: the points are in the log, not lost.
    await live.flush();
    await live.end();
    await start();

    const report = await oe.sync();
    expect(report.map((r) => [r.state, r.metrics])).toEqual([['synced', 1], ['synced', 300]]);
    expect(report[1]!.serverRunId).toBe(live.runId);
    expect(await history(oe, live.runId, 'y')).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect((await oe.runs.get(live.runId)).info.status).toBe('FINISHED');
    expect((await oe.runs.get(report[0]!.serverRunId!)).info.runName).toBe('early');
  }, 120_000);

  it('leaves out a record torn by a crash and refuses a log damaged before its end', async () => {
    const dir = path.join(work, 'torn');
    const oe = client(dir, { offline: true });
    const run = await oe.startRun({ experiment: 'offline-torn' });
    run.logMetric('z', 1, { step: 0 });
    await run.flush();
    const file = walFile(dir, run.runId);
    fs.appendFileSync(file, '3 0123456789abcdef {"op":"batch","metr');
    expect(readLog(file)).toMatchObject({ tornTail: true, records: [{ op: 'create' }, { op: 'batch' }] });
    const text = fs.readFileSync(file, 'utf8').split('\n');
    fs.writeFileSync(file, [text[0]!.replace('"create"', '"crea7e"'), ...text.slice(1)].join('\n'));
    expect(() => readLog(file)).toThrow(/record 1 is damaged/);
  });
});
