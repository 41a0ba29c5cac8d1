import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { ReproducibilityStore } from '../../domain/reproducibility/reproducibility.store.js';
import type { Capture, PipelineRun, Reproduction } from '../../domain/reproducibility/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlReproducibilityStore } from './reproducibility.sql-store.js';

const id = (n: number) => n.toString(16).padStart(32, '0');

const capture = (n: number, over: Partial<Capture> = {}): Capture => ({
  runId: id(n), experimentId: '1', createdBy: 'alice', createdAt: 1000 + n,
  command: ['python3', 'train.py'], cwd: '', environment: { os: { platform: 'linux', release: '6', arch: 'x64' }, interpreters: { python: '3.11.7' }, libraries: {}, lockFiles: [] },
  inputs: [], datasets: [], seeds: { seed: '7' }, params: { lr: '0.01' }, hardware: { cpus: 2, cpuModel: 'cpu', memoryBytes: 8e9, gpus: [] }, wallTimeMs: 12.5, exitCode: 0, signal: null,
  ...over,
});

const reproduction = (n: number, source: number, at: number): Reproduction => ({
  id: id(100 + n), sourceRunId: id(source), runId: id(n), createdBy: 'bob', sourceAuthor: 'alice', createdAt: at, tolerance: { acc: { abs: 0.01 } }, exitCode: 0,
  metrics: [{ key: 'acc', original: 0.9, reproduced: 0.905, delta: 0.005, relativeDelta: 0.005 / 0.9, tolerance: '0.01', withinTolerance: true }], environment: [], passed: true,
});

const pipelineRun = (n: number, over: Partial<PipelineRun> = {}): PipelineRun => ({
  id: id(200 + n), name: 'churn', experimentId: '1', status: 'running', fileSha256: 'f'.repeat(64), startedAt: n, executor: 'local', createdBy: 'alice', createdAt: n, updatedAt: n,
  steps: [{ name: 'prepare', needs: [], state: 'running', attempts: 1 }],
  ...over,
});

for (const backend of testBackends()) {
  describe(`ReproducibilityStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: ReproducibilityStore;
    beforeEach(async () => {
      handle = await backend.open();
      store = new SqlReproducibilityStore(handle);
    });
    afterEach(() => handle.close());

    it('keeps one capture per run, replaced whole when written again', async () => {
      await store.putCapture(capture(1));
      await store.putCapture(capture(1, { exitCode: 3, createdAt: 5000 }));
      expect(await store.getCapture(id(1))).toEqual(capture(1, { exitCode: 3, createdAt: 5000 }));
      expect(await store.getCapture(id(2))).toBeUndefined();
    });

    it('lists reproductions of a run newest first and refuses a duplicate id', async () => {
      await store.addReproduction(reproduction(1, 9, 100));
      await store.addReproduction(reproduction(2, 9, 300));
      await store.addReproduction(reproduction(3, 8, 200));
      expect((await store.listReproductions(id(9))).map((r) => r.runId)).toEqual([id(2), id(1)]);
      expect(await store.getReproduction(id(101))).toEqual(reproduction(1, 9, 100));
      await expect(store.addReproduction(reproduction(1, 9, 100))).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    });

    it('updates a pipeline run in place and lists by name, newest first', async () => {
      await store.putPipelineRun(pipelineRun(1));
      await store.putPipelineRun(pipelineRun(2, { name: 'other' }));
      await store.putPipelineRun(pipelineRun(3));
      const done = pipelineRun(1, { status: 'succeeded', updatedAt: 9, steps: [{ name: 'prepare', needs: [], state: 'cached', cache: 'hit', attempts: 0, durationMs: 3 }] });
      await store.putPipelineRun(done);
      expect(await store.getPipelineRun(id(201))).toEqual(done);
      expect((await store.listPipelineRuns({ name: 'churn', limit: 10 })).map((r) => r.id)).toEqual([id(203), id(201)]);
      expect((await store.listPipelineRuns({ limit: 2 })).map((r) => r.id)).toEqual([id(203), id(202)]);
    });
  });
}
