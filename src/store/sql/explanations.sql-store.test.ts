import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { ExplanationStore } from '../../domain/explain/explain.store.js';
import type { Explanation } from '../../domain/explain/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlExplanationStore } from './explanations.sql-store.js';

const id = (n: number) => n.toString(16).padStart(32, '0');
const explanation = (n: number, version = 1): Explanation => ({
  id: id(n), model: { name: 'churn', version }, dataName: 'sample.csv', createdAt: n, createdBy: 'alice',
  spec: { methods: ['kernel_shap', 'permutation'], repeats: 5, confidence: 0.95, seed: 0, rows: 10, background: 20, budget: 2048, gridResolution: 20, label: 'y' },
  result: {
    features: ['a', 'b'], output: { name: 'y' }, dataRows: 3, rows: [0, 2], data: [[1, 2], [3, 4.5]], predictions: [0.25, -1], notes: [],
    kernelShap: { expectedValue: 0.5, values: [[0.1, -0.35], [-1.2, -0.3]], global: [{ feature: 'a', meanAbs: 0.65 }, { feature: 'b', meanAbs: 0.325 }], additivityError: 0, exact: true, coalitions: 2, backgroundRows: 3, budget: 2048 },
  },
});

for (const backend of testBackends()) {
  describe(`ExplanationStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: ExplanationStore;
    beforeEach(async () => {
      handle = await backend.open();
      store = new SqlExplanationStore(handle);
    });
    afterEach(() => handle.close());

    it('keeps an explanation whole, lists a version\'s newest first with paging, and finds the latest', async () => {
      await store.create(explanation(1));
      await store.create(explanation(2));
      await store.create(explanation(3, 2));
      expect(await store.get(id(1))).toEqual(explanation(1));
      expect(await store.get(id(9))).toBeUndefined();
      const first = await store.list({ modelName: 'churn', modelVersion: 1, limit: 1, offset: 0 });
      expect(first.items).toEqual([{ id: id(2), model: { name: 'churn', version: 1 }, dataName: 'sample.csv', createdAt: 2, createdBy: 'alice', methods: ['kernel_shap', 'permutation'] }]);
      expect(first.nextOffset).toBe(1);
      expect((await store.list({ modelName: 'churn', modelVersion: 1, limit: 1, offset: 1 })).items.map((e) => e.id)).toEqual([id(1)]);
      expect((await store.list({ modelName: 'churn', limit: 10, offset: 0 })).items.map((e) => e.id)).toEqual([id(3), id(2), id(1)]);
      expect((await store.latest('churn', 1))?.id).toBe(id(2));
      expect(await store.latest('churn', 7)).toBeUndefined();
      await expect(store.create(explanation(1))).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    });
  });
}
