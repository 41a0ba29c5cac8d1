import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel, lookupModel } from '../../../test/support/onnx-models.js';
import { LocalFsArtifactStore } from '../../artifacts/local-fs.artifact-store.js';
import { anonymousAdmin, type Actor } from '../../core/actor.js';
import { migrate, openDatabase, type DatabaseHandle } from '../../store/db.js';
import { SqlArtifactFilesStore } from '../../store/sql/artifacts.sql-store.js';
import { SqlServingStore } from '../../store/sql/serving.sql-store.js';
import { allowAll } from '../access/access.js';
import { ArtifactService } from '../artifacts/artifact.service.js';
import type { ModelVersion } from '../registry/types.js';
import { ArtifactModelFiles, RegistryResolver, type ModelVersionReader } from './registry-resolver.js';
import { seededRandom } from './router.js';
import { createServing, type Serving } from './serving.js';
import { tensorFromJson, tensorValues } from './tensor.js';
import { DEFAULT_ANALYSIS } from './types.js';

/**
 * For the rollouts that must go ahead: they are judged on errors and outputs here, while wall-clock p99 latency on a
 * loaded two-core machine (a worker thread warming up) is noise these tests must not fail on.
 */
const HEALTHY_ANALYSIS = { ...DEFAULT_ANALYSIS, latencySlackMs: 10_000 };

/**
 * The serving module on a real SQLite file, real onnxruntime workers and real model files on disk.
 * The registry is a small table of versions (its own module is tested on its own); time is a clock
 * the test moves, and traffic splits draw from a seeded generator, so every rollout here is exact.
 */
const actor: Actor = anonymousAdmin('ana');

class VersionTable implements ModelVersionReader {
  readonly versions: ModelVersion[] = [];
  add(name: string, version: number, opts: { aliases?: string[]; stage?: ModelVersion['currentStage'] } = {}): void {
    this.versions.push({
      name, version, creationTime: 0, lastUpdatedTime: 0, currentStage: opts.stage ?? 'None', source: `mlflow-artifacts:/models/${name}/${version}`,
      storageLocation: `mlflow-artifacts:/models/${name}/${version}`, status: 'READY', tags: [], aliases: opts.aliases ?? [],
      metadata: { flavors: { onnx: { model_file: 'model.onnx' } } },
    });
  }
  private find(name: string, pred: (v: ModelVersion) => boolean): ModelVersion {
    const v = this.versions.find((x) => x.name === name && pred(x));
    if (!v) throw Object.assign(new Error(`no such version of ${name}`), { code: 'RESOURCE_DOES_NOT_EXIST' });
    return v;
  }
  async getModelVersion(_a: Actor, name: string, version: string | number) {
    return this.find(name, (v) => v.version === Number(version));
  }
  async getVersionByAlias(_a: Actor, name: string, alias: string) {
    return this.find(name, (v) => v.aliases.includes(alias));
  }
  async getLatestVersions(_a: Actor, name: string, stages: readonly string[] = []) {
    return this.versions.filter((v) => v.name === name && stages.includes(v.currentStage));
  }
}

describe('serving: deployments, rollouts and inference', () => {
  let dir: string;
  let handle: DatabaseHandle;
  let versions: VersionTable;
  const clock = { t: 1_000_000, now() { return this.t; } };
  const open: Serving[] = [];

  const startServing = (opts: { capacity?: number } = {}) => {
    const store = new SqlServingStore(handle);
    const artifacts = new ArtifactService(new LocalFsArtifactStore(path.join(dir, 'artifacts')), new SqlArtifactFilesStore(handle), allowAll, clock);
    const s = createServing({
      store, resolver: new RegistryResolver(versions), files: new ArtifactModelFiles(artifacts), access: allowAll, clock,
      random: seededRandom(11), refreshMs: 0, controllerIntervalMs: 0,
      // A small queue is flushed only when the test says, so a slow machine's timer cannot empty it mid-test.
      ...(opts.capacity ? { predictionQueueCapacity: opts.capacity, predictionFlushMs: 0 } : {}),
    });
    open.push(s);
    return s;
  };
  const model = (name: string, version: number, bytes: Uint8Array, opts: { aliases?: string[]; stage?: ModelVersion['currentStage'] } = {}) => {
    const file = path.join(dir, 'artifacts', 'models', name, String(version), 'model.onnx');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    versions.add(name, version, opts);
  };
  const x = (value: number) => [tensorFromJson('x', 'FP32', [1, 1], [value], 'inputs[0]')];
  const predict = async (s: Serving, deployment: string, value: number, extra: Record<string, unknown> = {}) => {
    const r = await s.inference.infer(actor, { deployment, inputs: x(value), ...extra });
    return { version: r.version, y: tensorValues(r.outputs[0]!)[0] as number, predictionId: r.predictionId };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-serving-'));
    handle = await openDatabase(`sqlite:${path.join(dir, 'db.sqlite')}`);
    await migrate(handle);
    versions = new VersionTable();
    model('churn', 1, linearModel([[2]], [1]), { aliases: ['champion'] }); // y = 2x + 1
    model('churn', 2, lookupModel([10, 11, 12]), { aliases: ['champion'] }); // fails for x ≥ 3
    model('churn', 3, linearModel([[2]], [1.5]), { aliases: ['champion'] }); // y = 2x + 1.5
    model('churn', 4, linearModel([[3]], [0]), { aliases: ['champion'] }); // y = 3x
    model('churn', 5, Buffer.from('this is not an onnx model'), { aliases: ['champion'] });
    model('churn', 6, linearModel([[1]], [0]), { stage: 'Staging' });
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    await handle.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves a registry version and answers as computed by hand; bad input names its field', async () => {
    const s = startServing();
    const d = await s.deployments.create(actor, { name: 'plain', modelName: 'churn', selector: { version: '1' }, target: 'champion' });
    expect(d).toMatchObject({ stable: { version: '1' }, target: 'champion', revision: 1 });
    expect(await predict(s, 'plain', 4)).toMatchObject({ version: '1', y: 9 });
    await expect(s.inference.infer(actor, { deployment: 'plain', inputs: [tensorFromJson('x', 'FP32', [1, 2], [1, 2], 'inputs[0]')] }))
      .rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'inputs[0].shape'") });
    await expect(s.inference.infer(actor, { deployment: 'plain', inputs: [tensorFromJson('z', 'FP32', [1, 1], [1], 'inputs[0]')] }))
      .rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("no input 'z'") });
    await expect(s.inference.infer(actor, { deployment: 'plain', inputs: [tensorFromJson('x', 'FP64', [1, 1], [1], 'inputs[0]')] }))
      .rejects.toMatchObject({ message: expect.stringContaining("'inputs[0].datatype'") });
    await expect(predict(s, 'nowhere', 1)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('refuses a version that does not hold the target, and changes nothing', async () => {
    const s = startServing();
    await expect(s.deployments.create(actor, { name: 'gate', modelName: 'churn', selector: { version: '6' }, target: 'champion' }))
      .rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining("does not hold 'champion'") });
    await expect(s.deployments.get(actor, 'gate')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    const staged = await s.deployments.create(actor, { name: 'gate', modelName: 'churn', selector: { stage: 'Staging' } });
    expect(staged).toMatchObject({ target: 'Staging', stable: { version: '6' } });
  });

  it('rolls a canary back on its own when the candidate starts failing, and keeps answering from the stable version', async () => {
    const s = startServing();
    await s.deployments.create(actor, { name: 'canary-bad', modelName: 'churn', selector: { version: '1' }, target: 'champion' });
    await s.deployments.startRollout(actor, 'canary-bad', { selector: { version: '2' }, strategy: 'canary', steps: [50, 100], intervalMs: 60_000, analysis: DEFAULT_ANALYSIS });
    clock.t += 1000;
    const answers = [];
    for (let i = 0; i < 200; i++) answers.push(await predict(s, 'canary-bad', i % 5));
    // Every request was answered; the candidate's answers are table lookups, the stable one's 2x + 1.
    for (const [i, a] of answers.entries()) expect(a.y).toBe(a.version === '2' ? [10, 11, 12][i % 5] : 2 * (i % 5) + 1);
    clock.t += 1000;
    const [outcome] = await s.deployments.tick();
    expect(outcome?.decision.action).toBe('rollback');
    // x = 3 and 4 fail on the candidate: 2 of every 5 requests it got.
    expect(outcome?.verdict.candidate.errorRate).toBeCloseTo(0.4, 1);
    const d = await s.deployments.get(actor, 'canary-bad');
    expect(d.rollout).toBeUndefined();
    expect(d.stable.version).toBe('1');
    const [event] = await s.deployments.events(actor, 'canary-bad', 1);
    expect(event).toMatchObject({ kind: 'rolled_back', actor: 'openexpert-serving', fromVersion: '2', toVersion: '1' });
    expect(event?.reason).toContain('error_rate');
    expect((await predict(s, 'canary-bad', 4)).version).toBe('1');
  });

  it('promotes a healthy canary step by step, and a later rollback returns to the previous version', async () => {
    const s = startServing();
    await s.deployments.create(actor, { name: 'canary-good', modelName: 'churn', selector: { version: '1' }, target: 'champion' });
    const started = clock.t;
    await s.deployments.startRollout(actor, 'canary-good', { selector: { version: '3' }, strategy: 'canary', steps: [20, 100], intervalMs: 60_000, analysis: HEALTHY_ANALYSIS });
    clock.t += 1000;
    let toCandidate = 0;
    for (let i = 0; i < 300; i++) if ((await predict(s, 'canary-good', 1)).version === '3') toCandidate++;
    // 20% of 300 with a seeded draw: within 4.5 standard deviations (√(300·0.2·0.8) ≈ 6.9).
    expect(Math.abs(toCandidate - 60)).toBeLessThanOrEqual(31);
    expect((await s.deployments.tick())[0]?.decision.action).toBe('wait');
    clock.t = started + 60_000;
    expect((await s.deployments.tick())[0]?.decision).toEqual({ action: 'advance', nextStep: 1 });
    clock.t += 1000;
    for (let i = 0; i < 30; i++) expect(await predict(s, 'canary-good', 1)).toMatchObject({ version: '3', y: 3.5 });
    clock.t += 60_000;
    expect((await s.deployments.tick())[0]?.decision.action).toBe('promote');
    const promoted = await s.deployments.get(actor, 'canary-good');
    expect(promoted).toMatchObject({ stable: { version: '3' }, previous: { version: '1' } });
    expect(promoted.rollout).toBeUndefined();
    const back = await s.deployments.rollback(actor, 'canary-good', 'bad business numbers');
    expect(back.stable.version).toBe('1');
    expect((await s.deployments.events(actor, 'canary-good', 10)).map((e) => e.kind)).toEqual(['rolled_back', 'promoted', 'step', 'rollout_started', 'created']);
  });

  it('never returns the shadow candidate\'s answers, logs them next to the stable ones, and rolls back by default when they differ', async () => {
    const s = startServing();
    await s.deployments.create(actor, { name: 'shadow', modelName: 'churn', selector: { version: '1' }, target: 'champion', logging: { sampleRate: 1 } });
    await s.deployments.startRollout(actor, 'shadow', { selector: { version: '4' }, strategy: 'shadow', steps: [100], intervalMs: 60_000 });
    clock.t += 1000;
    for (let i = 0; i < 40; i++) expect(await predict(s, 'shadow', i % 3)).toMatchObject({ version: '1', y: 2 * (i % 3) + 1 });
    await new Promise((r) => setTimeout(r, 100));
    // 2x + 1 and 3x agree only at x = 1: mismatches on x = 0 and 2, two thirds of the 40.
    const verdict = await s.deployments.analysis(actor, 'shadow');
    expect(verdict.candidate).toMatchObject({ requests: 40, compared: 40, mismatches: 27 });
    expect(verdict.checks.find((c) => c.name === 'output_mismatch')).toMatchObject({ passed: false, message: expect.stringContaining('on 67.50% of 40 mirrored requests (limit 5.00%)') });
    await s.predictionLog.flush();
    const logged = await s.deployments.predictions(actor, 'shadow', { limit: 100 });
    expect(logged).toHaveLength(40);
    const atZero = logged.find((p) => (p.inputs as { x: { data: number[] } }).x.data[0] === 0)!;
    expect(atZero).toMatchObject({ version: '1', outputs: { y: { data: [1] } }, shadow: { version: '4', outputs: { y: { shape: [1, 1], data: [0] } }, agreed: false } });
    expect((await s.deployments.tick()).find((o) => o.deployment === 'shadow')?.decision.action).toBe('rollback');
  });

  it('resumes a rollout after a restart, from the state and the traffic counts in the database', async () => {
    const first = startServing();
    await first.deployments.create(actor, { name: 'restart', modelName: 'churn', selector: { version: '1' }, target: 'champion' });
    const started = clock.t;
    await first.deployments.startRollout(actor, 'restart', { selector: { version: '3' }, strategy: 'canary', steps: [50, 100], intervalMs: 30_000, analysis: HEALTHY_ANALYSIS });
    clock.t += 1000;
    for (let i = 0; i < 100; i++) await predict(first, 'restart', 2);
    await first.close();

    const second = startServing();
    clock.t = started + 30_000;
    const outcome = (await second.deployments.tick()).find((o) => o.deployment === 'restart');
    expect(outcome?.decision).toEqual({ action: 'advance', nextStep: 1 });
    expect(outcome?.verdict.candidate.requests).toBeGreaterThanOrEqual(20);
    expect((await second.deployments.get(actor, 'restart')).rollout).toMatchObject({ stepIndex: 1, stepStartedAt: started + 30_000 });
  });

  it('keeps the old version when the new model fails to load, and records why', async () => {
    const s = startServing();
    await s.deployments.create(actor, { name: 'broken', modelName: 'churn', selector: { version: '1' }, target: 'champion' });
    await expect(s.deployments.startRollout(actor, 'broken', { selector: { version: '5' }, strategy: 'blue-green', intervalMs: 0 }))
      .rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('failed to load') });
    const d = await s.deployments.get(actor, 'broken');
    expect(d.rollout).toBeUndefined();
    expect(d.revision).toBe(1);
    expect((await s.deployments.events(actor, 'broken', 1))[0]).toMatchObject({ kind: 'load_failed', toVersion: '5' });
    expect((await predict(s, 'broken', 1)).y).toBe(3);
  });

  it('mirrors blue-green traffic to the candidate until its checks hold, then switches at once', async () => {
    const s = startServing();
    await s.deployments.create(actor, { name: 'bg', modelName: 'churn', selector: { version: '1' }, target: 'champion' });
    await s.deployments.startRollout(actor, 'bg', { selector: { version: '3' }, strategy: 'blue-green', intervalMs: 10_000, analysis: HEALTHY_ANALYSIS });
    for (let i = 0; i < 25; i++) expect(await predict(s, 'bg', 1)).toMatchObject({ version: '1', y: 3 });
    await new Promise((r) => setTimeout(r, 100));
    clock.t += 10_000;
    const outcome = (await s.deployments.tick()).find((o) => o.deployment === 'bg');
    expect(outcome?.verdict.candidate.requests).toBe(25);
    expect(outcome?.decision.action).toBe('promote');
    expect(await predict(s, 'bg', 1)).toMatchObject({ version: '3', y: 3.5 });
  });

  it('falls back to the stable version while an external candidate is down, with the circuit open after repeated failures', async () => {
    const s = startServing();
    await s.deployments.create(actor, { name: 'ext', modelName: 'churn', selector: { version: '1' }, target: 'champion' });
    await s.deployments.startRollout(actor, 'ext', {
      selector: { version: '3' }, runtime: { kind: 'external', url: 'http://127.0.0.1:9', protocol: 'v2' }, strategy: 'canary', steps: [100], intervalMs: 60_000, allowUnready: true,
    });
    for (let i = 0; i < 10; i++) expect(await predict(s, 'ext', 1)).toMatchObject({ version: '1', y: 3 });
    const pinned = s.inference.infer(actor, { deployment: 'ext', inputs: x(1), version: '3' });
    await expect(pinned).rejects.toMatchObject({ name: 'ModelFailure', unavailable: true, message: expect.stringContaining('circuit open') });
  });

  it('logs sampled predictions off the request path, and drops (counting) when the queue is full', async () => {
    const s = startServing({ capacity: 3 });
    await s.deployments.create(actor, { name: 'logged', modelName: 'churn', selector: { version: '1' }, target: 'champion', logging: { sampleRate: 1 } });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await predict(s, 'logged', i)).predictionId);
    expect(s.predictionLog.dropped).toBe(2);
    await s.predictionLog.flush();
    const logged = await s.deployments.predictions(actor, 'logged', { limit: 10 });
    expect(logged.map((p) => p.predictionId).sort()).toEqual(ids.slice(0, 3).sort());
    expect(await s.deployments.prediction(actor, 'logged', ids[2]!)).toMatchObject({ version: '1', inputs: { x: { shape: [1, 1], data: [2] } }, outputs: { y: { shape: [1, 1], data: [5] } } });
  });
});
