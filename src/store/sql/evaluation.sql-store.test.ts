import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { EvaluationStore } from '../../domain/evaluation/evaluation.store.js';
import type { Comparison, Evaluation } from '../../domain/evaluation/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlEvaluationStore } from './evaluation.sql-store.js';

const id = (n: number) => n.toString(16).padStart(32, '0');

function evaluation(n: number, over: Partial<Evaluation> = {}): Evaluation {
  return {
    id: id(n), name: `eval-${n}`, task: 'binary', runId: 'a'.repeat(32), model: { name: 'churn', version: 1 },
    dataset: { name: 'holdout', digest: 'd'.repeat(64), source: 'inline', rows: 100 },
    createdAt: 1000 + n, createdBy: 'alice', spec: { task: 'binary', label: 'y' },
    result: { task: 'binary', rows: 100, metrics: { roc_auc: { value: 0.8, ci: { lower: 0.75, upper: 0.85, resamples: 100 } } }, slices: [], notes: [] },
    ...over,
  };
}

for (const backend of testBackends()) {
  describe(`EvaluationStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: EvaluationStore;
    beforeEach(async () => {
      handle = await backend.open();
      store = new SqlEvaluationStore(handle);
    });
    afterEach(() => handle.close());

    it('stores an evaluation with its metrics and reads it back whole', async () => {
      const e = evaluation(1, { artifacts: { json: '1/r/artifacts/evaluations/x/evaluation.json', html: '1/r/artifacts/evaluations/x/report.html' } });
      await store.createEvaluation(e, [{ key: 'roc_auc', value: 0.8, ciLower: 0.75, ciUpper: 0.85 }, { key: 'accuracy_score', value: 0.7 }]);
      expect(await store.getEvaluation(e.id)).toEqual(e);
      const page = await store.listEvaluations({ limit: 10, offset: 0 });
      expect(page.items).toEqual([expect.objectContaining({ id: e.id, model: { name: 'churn', version: 1 }, metrics: { roc_auc: 0.8, accuracy_score: 0.7 } })]);
      await expect(store.createEvaluation(e, [])).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
    });

    it('a failed write leaves nothing behind', async () => {
      const e = evaluation(2);
      // The same metric key twice violates the primary key inside the transaction.
      await expect(store.createEvaluation(e, [{ key: 'k', value: 1 }, { key: 'k', value: 2 }])).rejects.toBeDefined();
      expect(await store.getEvaluation(e.id)).toBeUndefined();
    });

    it('filters by run, model version and dataset name or digest, newest first, in pages', async () => {
      await store.createEvaluation(evaluation(1), []);
      await store.createEvaluation(evaluation(2, { model: { name: 'churn', version: 2 } }), []);
      await store.createEvaluation(evaluation(3, { dataset: { name: 'fresh', digest: 'e'.repeat(64), source: 'inline', rows: 5 } }), []);
      await store.createEvaluation(evaluation(4, { runId: 'b'.repeat(32), model: undefined }), []);
      const ids = async (q: Parameters<EvaluationStore['findEvaluations']>[0]) => (await store.findEvaluations(q)).map((e) => e.name);
      expect(await ids({ modelName: 'churn', modelVersion: 1, limit: 10, offset: 0 })).toEqual(['eval-3', 'eval-1']);
      expect(await ids({ modelName: 'churn', modelVersion: 1, dataset: 'holdout', limit: 10, offset: 0 })).toEqual(['eval-1']);
      expect(await ids({ dataset: 'e'.repeat(64), limit: 10, offset: 0 })).toEqual(['eval-3']);
      expect(await ids({ runId: 'b'.repeat(32), limit: 10, offset: 0 })).toEqual(['eval-4']);
      const first = await store.listEvaluations({ limit: 3, offset: 0 });
      expect([first.items.map((e) => e.name), first.nextOffset]).toEqual([['eval-4', 'eval-3', 'eval-2'], 3]);
      const second = await store.listEvaluations({ limit: 3, offset: 3 });
      expect([second.items.map((e) => e.name), second.nextOffset]).toEqual([['eval-1'], undefined]);
      expect(await store.deleteEvaluation(id(1))).toBe(true);
      expect(await store.deleteEvaluation(id(1))).toBe(false);
    });

    it('stores comparisons and finds the newest between two versions', async () => {
      const base: Comparison = {
        id: id(10), name: 'holdout', task: 'binary', candidate: { name: 'churn', version: 2 }, baseline: { name: 'churn', version: 1 },
        dataset: { name: 'holdout', digest: 'd'.repeat(64), source: 'inline', rows: 10 }, createdAt: 5, createdBy: 'bob', spec: {},
        result: { task: 'binary', rows: 10, deltas: [], notes: [] },
      };
      await store.createComparison(base);
      await store.createComparison({ ...base, id: id(11), createdAt: 6, baseline: { name: 'churn', version: 3 } });
      expect(await store.getComparison(id(10))).toEqual(base);
      const found = await store.findComparisons({ candidate: { name: 'churn', version: 2 }, baseline: { name: 'churn', version: 1 }, limit: 5, offset: 0 });
      expect(found.map((c) => c.id)).toEqual([id(10)]);
      expect((await store.findComparisons({ candidate: { name: 'churn', version: 2 }, limit: 5, offset: 0 })).map((c) => c.id)).toEqual([id(11), id(10)]);
    });

    it('keeps one set of card fields per version, replaced whole', async () => {
      const ref = { name: 'churn', version: 1 };
      expect(await store.getCardFields(ref)).toBeUndefined();
      await store.setCardFields(ref, { fields: { license: 'MIT' }, updatedAt: 1, updatedBy: 'alice' });
      await store.setCardFields(ref, { fields: { license: 'Apache-2.0', primaryUses: 'x' }, updatedAt: 2, updatedBy: 'bob' });
      expect(await store.getCardFields(ref)).toEqual({ fields: { license: 'Apache-2.0', primaryUses: 'x' }, updatedAt: 2, updatedBy: 'bob' });
      expect(await store.getCardFields({ name: 'churn', version: 2 })).toBeUndefined();
    });
  });
}
