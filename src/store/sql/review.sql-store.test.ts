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

    it('filters and pages items in the database: all, labelled, a reviewer\'s to-do (assigned or not), in source-time order', async () => {
      await store.createQueue(queue('big'));
      // Reviewers whose names need escaping in a LIKE pattern or in JSON: `a_n` must not match `ann`, nor `%` anything.
      const pool = [[], ['ann'], ['bob'], ['ann', 'bob'], ['a_n'], ['%'], ['x"y']] as const;
      const all = Array.from({ length: 60 }, (_, n) => ({ ...item(n + 1, 'big'), assigned: [...pool[n % pool.length]!], time: 1000 + ((n * 7) % 13), fields: { n } }));
      await store.addItems(all);
      const labelled = new Map<string, string[]>();
      for (let n = 0; n < 60; n += 3) {
        const who = n % 2 === 0 ? 'ann' : 'bob';
        await store.putLabel('big', id(n + 1), { reviewer: who, label: 'ok', at: n });
        labelled.set(id(n + 1), [who]);
      }
      // The reference order and filters, computed here from what was added.
      const order = [...all];
      const seqOf = new Map(all.map((a, k) => [a.id, k]));
      order.sort((a, b) => a.time - b.time || seqOf.get(a.id)! - seqOf.get(b.id)!);
      const expected = {
        all: order,
        labelled: order.filter((i) => labelled.has(i.id)),
        annAssigned: order.filter((i) => i.assigned.includes('ann') && !(labelled.get(i.id) ?? []).includes('ann')),
        a_nAssigned: order.filter((i) => i.assigned.includes('a_n')),
        percent: order.filter((i) => i.assigned.includes('%')),
        quote: order.filter((i) => i.assigned.includes('x"y')),
        bobAny: order.filter((i) => !(labelled.get(i.id) ?? []).includes('bob')),
      };
      const read = async (filter: Parameters<ReviewStore['itemPage']>[1]['filter'], limit: number) => {
        const out: string[] = [];
        for (let offset = 0; ; offset += limit) {
          const page = await store.itemPage('big', { filter, offset, limit });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          out.push(...page.items.map((i) => i.id));
          if (!page.more) return out;
        }
      };
      const ids = (items: readonly { id: string }[]) => items.map((i) => i.id);
      expect(await read({ kind: 'all' }, 7)).toEqual(ids(expected.all));
      expect(await read({ kind: 'labelled' }, 5)).toEqual(ids(expected.labelled));
      expect(await read({ kind: 'todo', reviewer: 'ann', assignedOnly: true }, 4)).toEqual(ids(expected.annAssigned));
      expect(await read({ kind: 'todo', reviewer: 'a_n', assignedOnly: true }, 100)).toEqual(ids(expected.a_nAssigned));
      expect(await read({ kind: 'todo', reviewer: '%', assignedOnly: true }, 100)).toEqual(ids(expected.percent));
      expect(await read({ kind: 'todo', reviewer: 'x"y', assignedOnly: true }, 100)).toEqual(ids(expected.quote));
      expect(await read({ kind: 'todo', reviewer: 'bob', assignedOnly: false }, 9)).toEqual(ids(expected.bobAny));
      // Items come with their labels.
      const first = (await store.itemPage('big', { filter: { kind: 'labelled' }, offset: 0, limit: 1 })).items[0]!;
      expect(first.labels).toEqual([{ reviewer: labelled.get(first.id)![0], label: 'ok', at: expect.any(Number) }]);
      expect(await store.itemPage('big', { filter: { kind: 'all' }, offset: 60, limit: 10 })).toEqual({ items: [], more: false });
    });
  });
}
