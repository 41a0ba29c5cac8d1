import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { SweepStore } from '../../domain/sweeps/sweeps.store.js';
import type { Sweep, Trial } from '../../domain/sweeps/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlSweepStore } from './sweeps.sql-store.js';

const id = (n: number) => n.toString(16).padStart(32, '0');
const sweep = (n: number, experimentId = '1'): Sweep => ({
  id: id(n), name: `s${n}`, experimentId, parentRunId: id(100 + n), maxTrials: 10, createdBy: 'alice', createdAt: n, updatedAt: n,
  config: { method: 'tpe', metric: { name: 'loss', goal: 'minimize' }, seed: 3, tpe: { nStartupTrials: 10, nEiCandidates: 24 }, parameters: [{ name: 'x', type: 'uniform', min: 0, max: 1 }] },
});
const trial = (number: number, over: Partial<Trial> = {}): Trial => ({
  sweepId: id(1), number, state: 'RUNNING', params: { x: 0.25, opt: 'adam', flag: true }, runId: id(200 + number), checkedStep: -1, attempts: 1, startedAt: 5, ...over,
});

for (const backend of testBackends()) {
  describe(`SweepStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: SweepStore;
    beforeEach(async () => {
      handle = await backend.open();
      store = new SqlSweepStore(handle);
    });
    afterEach(() => handle.close());

    it('keeps sweeps, lists them newest first by experiment, and raises the trial count', async () => {
      await store.createSweep(sweep(1));
      await store.createSweep(sweep(2, '2'));
      expect(await store.getSweep(id(1))).toEqual(sweep(1));
      expect((await store.listSweeps({ limit: 10 })).map((s) => s.id)).toEqual([id(2), id(1)]);
      expect((await store.listSweeps({ experimentIds: ['1'], limit: 10 })).map((s) => s.id)).toEqual([id(1)]);
      await store.setMaxTrials(id(1), 15, 9);
      expect(await store.getSweep(id(1))).toMatchObject({ maxTrials: 15, updatedAt: 9 });
      await expect(store.createSweep(sweep(1))).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    });

    it('grants a sweep\'s lease to one controller at a time: renewed by its holder, taken when expired or over a named dead holder', async () => {
      const lease = (controller: string, at: number, over: Partial<{ host: string; pid: number }> = {}) => ({
        sweepId: id(1), controller, host: over.host ?? 'h', pid: over.pid ?? 7, acquiredAt: at, expiresAt: at + 100,
      });
      expect(await store.getLease(id(1))).toBeUndefined();
      const [a, b] = await Promise.all([store.acquireLease(lease('a', 1000)), store.acquireLease(lease('b', 1000))]);
      expect(a.controller).toBe(b.controller);
      const holder = a.controller;
      const other = holder === 'a' ? 'b' : 'a';
      expect(await store.acquireLease(lease(other, 1050))).toMatchObject({ controller: holder, acquiredAt: 1000, expiresAt: 1100 });
      // Renewed by its holder: the expiry moves, the time it was taken stays.
      expect(await store.acquireLease(lease(holder, 1080))).toEqual({ ...lease(holder, 1000), expiresAt: 1180 });
      expect((await store.acquireLease(lease(other, 1150))).controller).toBe(holder);
      expect(await store.acquireLease(lease(other, 1150), holder)).toEqual(lease(other, 1150));
      // Expired: anyone takes it.
      expect(await store.acquireLease(lease('c', 1300, { host: 'g', pid: 9 }))).toEqual(lease('c', 1300, { host: 'g', pid: 9 }));
      await store.releaseLease(id(1), 'a');
      expect((await store.getLease(id(1)))?.controller).toBe('c');
      await store.releaseLease(id(1), 'c');
      expect(await store.getLease(id(1))).toBeUndefined();
    });

    it('gives each trial number once, and changes a trial only in the states asked for', async () => {
      expect(await store.insertTrial(trial(0))).toBe(true);
      expect(await store.insertTrial(trial(0, { runId: id(999) }))).toBe(false);
      expect(await store.updateTrial(id(1), 0, { state: 'COMPLETE', value: NaN, step: 4, curve: [[0, 1.5], [4, NaN], [5, -Infinity]] }, ['RUNNING'])).toBe(true);
      expect(await store.updateTrial(id(1), 0, { state: 'FAILED' }, ['RUNNING'])).toBe(false);
      const stored = await store.getTrial(id(1), 0);
      expect(stored).toEqual(trial(0, { state: 'COMPLETE', value: NaN, step: 4, curve: [[0, 1.5], [4, NaN], [5, -Infinity]] }));
      await store.updateTrial(id(1), 0, { value: null, curve: null, reason: 'r', pid: 42, host: 'h' });
      expect(await store.getTrial(id(1), 0)).toEqual(trial(0, { state: 'COMPLETE', step: 4, reason: 'r', pid: 42, host: 'h' }));
      await store.insertTrial(trial(1));
      expect((await store.listTrials(id(1))).map((t) => t.number)).toEqual([0, 1]);
    });

    it('keeps one value per trial and rung, and clears a trial\'s rungs', async () => {
      await store.addRungValues(id(1), 0, [{ rung: 0, value: 3 }, { rung: 1, value: 2.5 }]);
      await store.addRungValues(id(1), 0, [{ rung: 0, value: 9 }]);
      await store.addRungValues(id(1), 1, [{ rung: 0, value: 4 }]);
      expect(await store.rungValues(id(1))).toEqual([{ number: 0, rung: 0, value: 3 }, { number: 0, rung: 1, value: 2.5 }, { number: 1, rung: 0, value: 4 }]);
      await store.clearRungs(id(1), 0);
      expect(await store.rungValues(id(1))).toEqual([{ number: 1, rung: 0, value: 4 }]);
    });
  });
}
