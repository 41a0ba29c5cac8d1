import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { ReviewStore } from '../../domain/review/review.store.js';
import type { NewReviewItem, ReviewQueue } from '../../domain/review/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlReviewStore } from './review.sql-store.js';

const id = (n: number) => n.toString(16).padStart(32, '0');
const queue = (name: string): ReviewQueue => ({
  name, project: 'default', scope: 'deployment', target: 'churn-api', spec: { labels: ['ok', 'wrong'], reviewers: ['ann', 'bob'], overlap: 0.5, reviewersPerItem: 2, rule: "x > 1" },
  cursor: 0, createdBy: 'alice', createdAt: 5,
});
const item = (n: number, q = 'q1', source = `p${n}`): NewReviewItem => ({
  id: id(n), queue: q, source: { kind: 'prediction', id: source, deployment: 'churn-api', model: 'churn', version: '2' }, reason: 'rule',
  fields: { x: n, note: 'ünï' }, predicted: '1', confidence: 0.625, assigned: ['ann', 'bob'], time: 100 - n, createdAt: 7,
});

for (const backend of testBackends()) {
  describe(`ReviewStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: ReviewStore;
    beforeEach(async () => {
      handle = await backend.open();
      store = new SqlReviewStore(handle);
    });
    afterEach(() => handle.close());

    it('keeps queues, adds an item per source once, lists items by source time with labels, replaces a reviewer\'s label, deletes all', async () => {
      await store.createQueue(queue('q1'));
      await store.createQueue(queue('q2'));
      await expect(store.createQueue(queue('q1'))).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      expect(await store.getQueue('q1')).toEqual(queue('q1'));
      expect((await store.listQueues()).map((q) => q.name)).toEqual(['q1', 'q2']);
      await store.setCursor('q1', 1234);
      expect((await store.getQueue('q1'))?.cursor).toBe(1234);

      expect((await store.addItems([item(1), item(2)])).map((i) => i.id)).toEqual([id(1), id(2)]);
      // The same prediction again (under a new item id) is not added; the same source in another queue is.
      expect(await store.addItems([item(3, 'q1', 'p1'), item(4, 'q2', 'p1')])).toEqual([item(4, 'q2', 'p1')]);
      await store.putLabel('q1', id(1), { reviewer: 'bob', label: 'ok', at: 10 });
      await store.putLabel('q1', id(1), { reviewer: 'ann', label: 'wrong', comment: 'off by one', at: 11 });
      await store.putLabel('q1', id(1), { reviewer: 'bob', label: 'wrong', at: 12 });
      const items = await store.items('q1');
      expect(items.map((i) => i.id)).toEqual([id(2), id(1)]);
      expect(items[1]).toEqual({ ...item(1), labels: [{ reviewer: 'ann', label: 'wrong', comment: 'off by one', at: 11 }, { reviewer: 'bob', label: 'wrong', at: 12 }] });
      expect(await store.item('q1', id(2))).toEqual({ ...item(2), labels: [] });
      expect(await store.item('q2', id(2))).toBeUndefined();

      expect(await store.deleteQueue('q1')).toBe(true);
      expect(await store.deleteQueue('q1')).toBe(false);
      expect(await store.items('q1')).toEqual([]);
      expect((await store.items('q2')).map((i) => i.id)).toEqual([id(4)]);
    });
  });
}
