import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { TraceStore } from '../../domain/llmops/traces.store.js';
import type { Budget, StoredSpan } from '../../domain/llmops/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlTraceStore } from './llmops.sql-store.js';

const tid = (n: number) => n.toString(16).padStart(32, '0');
const sid = (n: number) => n.toString(16).padStart(16, '0');
const span = (trace: number, n: number, over: Partial<StoredSpan> = {}): StoredSpan => ({
  traceId: tid(trace), spanId: sid(n), project: 'default', name: `s${n}`, kind: 'llm', startTime: 1000 + n + 0.25, endTime: 2000 + n, status: 'ok', attributes: { n }, ...over,
});
const budget = (over: Partial<Budget> = {}): Budget => ({
  budgetId: tid(900), name: 'b', project: 'default', scope: 'project', period: 'day', limitUsd: 1, hardStop: true, webhookSecret: 'x'.repeat(24), createdBy: 'alice', createdAt: 1, ...over,
});

for (const backend of testBackends()) {
  describe(`TraceStore on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: TraceStore;
    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlTraceStore(handle);
    });
    afterAll(() => handle.close());

    it('stores spans in batches, replaces a span sent again and keeps the trace summary in step', async () => {
      await store.putSpans([span(1, 2, { parentSpanId: sid(1), model: 'gpt-4o', inputTokens: 10, outputTokens: 5, cost: 0.5, input: { q: 'hi' }, output: 'yo' })], 5);
      expect(await store.getTrace(tid(1))).toMatchObject({ name: 's2', spanCount: 1, cost: 0.5 });
      await store.putSpans([
        span(1, 1, { kind: 'chain', userId: 'u1', promptName: 'greet', promptVersion: '3' }),
        span(1, 3, { parentSpanId: sid(1), status: 'error', error: 'boom', model: 'claude-3-5-haiku', inputTokens: 7, outputTokens: 1, cost: 0.25 }),
        span(1, 2, { parentSpanId: sid(1), model: 'gpt-4o', inputTokens: 20, outputTokens: 5, cost: 1.5, input: { q: 'hi' }, output: 'yo' }),
      ], 6);
      expect(await store.getTrace(tid(1))).toEqual({
        traceId: tid(1), project: 'default', name: 's1', userId: 'u1', promptName: 'greet', promptVersion: '3', startTime: 1001.25, endTime: 2003,
        status: 'error', spanCount: 3, inputTokens: 27, outputTokens: 6, cost: 1.75, models: ['claude-3-5-haiku', 'gpt-4o'],
      });
      const spans = await store.listSpans(tid(1));
      expect(spans.map((s) => s.spanId)).toEqual([sid(1), sid(2), sid(3)]);
      expect(spans[1]).toEqual(span(1, 2, { parentSpanId: sid(1), model: 'gpt-4o', inputTokens: 20, outputTokens: 5, cost: 1.5, input: { q: 'hi' }, output: 'yo' }));
      expect(await store.projectsOf([tid(1), tid(99)])).toEqual(new Map([[tid(1), 'default']]));
    });

    it('searches by filters and text, newest first, and sums spend over a period', async () => {
      await store.putSpans([span(2, 1, { startTime: 5000, input: 'Where is 100% of the REFUND?', userId: 'u2', model: 'gpt-4o-mini', cost: 0.125 })], 7);
      await store.putSpans([span(3, 1, { startTime: 6000, project: 'other', cost: 9 })], 8);
      const ids = async (q: object) => (await store.searchTraces({ projects: ['default'], offset: 0, limit: 10, ...q })).map((t) => t.traceId);
      expect(await ids({})).toEqual([tid(2), tid(1)]);
      expect(await ids({ text: 'refund' })).toEqual([tid(2)]);
      expect(await ids({ text: '100%' })).toEqual([tid(2)]);
      expect(await ids({ text: '_' })).toEqual([]);
      expect(await ids({ model: 'gpt-4o' })).toEqual([tid(1)]);
      expect(await ids({ status: 'error' })).toEqual([tid(1)]);
      expect(await ids({ userId: 'u2' })).toEqual([tid(2)]);
      expect(await ids({ since: 4000 })).toEqual([tid(2)]);
      expect(await store.spend({ project: 'default', from: 0, to: 10_000 })).toBeCloseTo(1.875, 12);
      expect(await store.spend({ project: 'default', from: 0, to: 10_000, userId: 'u2' })).toBeCloseTo(0.125, 12);
      expect(await store.spend({ project: 'default', from: 0, to: 10_000, promptName: 'greet' })).toBe(0);
      expect(await store.spend({ project: 'nobody', from: 0, to: 10_000 })).toBe(0);
    });

    it('keeps prices, settings, budgets and raises each budget alert once', async () => {
      await store.setPrices([{ provider: 'openai', model: 'gpt-4o', inputPerMillion: 2.5, outputPerMillion: 10 }], 1);
      expect(await store.listPrices()).toEqual([{ provider: 'openai', model: 'gpt-4o', inputPerMillion: 2.5, outputPerMillion: 10 }]);
      await store.putSetting('k', 'v1', 1);
      await store.putSetting('k', 'v2', 2);
      expect(await store.getSetting('k')).toBe('v2');
      await store.createBudget(budget());
      await expect(store.createBudget(budget({ budgetId: tid(901) }))).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      expect(await store.getBudget('b')).toEqual(budget());
      const alert = { alertId: tid(1), budgetId: tid(900), periodStart: 0, level: 'exceeded' as const, spentUsd: 2, limitUsd: 1, at: 3 };
      expect(await store.addBudgetAlert(alert)).toBe(true);
      expect(await store.addBudgetAlert({ ...alert, alertId: tid(2) })).toBe(false);
      expect(await store.listBudgetAlerts(tid(900), 10)).toEqual([alert]);
      await store.deleteBudget(tid(900));
      expect(await store.listBudgets()).toEqual([]);
    });
  });
}
