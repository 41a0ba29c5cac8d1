import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import { anonymousAdmin } from '../../core/actor.js';
import type { DatabaseHandle } from '../../store/db.js';
import { SqlTraceStore } from '../../store/sql/llmops.sql-store.js';
import { allowAll } from '../access/access.js';
import type { TraceStore } from './traces.store.js';
import { TraceService } from './traces.service.js';

const actor = anonymousAdmin();
const quietAlerts = { raised: () => {} };
const DAY = 86_400_000;
// 2026-03-10 23:59:59 UTC: one second before a day boundary.
const T0 = Date.UTC(2026, 2, 10, 23, 59, 59);

/** The store with its spend and budget reads counted: what the budget check would cost the database. */
function counted(store: TraceStore): { store: TraceStore; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if ((prop === 'spend' || prop === 'listBudgets') && typeof value === 'function') {
        return (...args: unknown[]) => {
          reads++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, reads: () => reads };
}

let spanNo = 0;
const spend = (t: TraceService, at: number, cost: number, userId = 'u-1') => t.ingest(actor, { project: 'default', spans: [{
  traceId: (++spanNo).toString(16).padStart(32, '0'), spanId: spanNo.toString(16).padStart(16, '0'), name: 'call', kind: 'llm',
  startTime: at, endTime: at + 1, status: 'ok', cost, userId, attributes: {},
}] });

describe('the cached budget check', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await testBackends()[0]!.open();
  });
  afterAll(() => handle.close());

  it('answers repeated checks without reading the database, stops at the limit, and starts afresh at the period boundary', async () => {
    const clock = { t: T0 - 60_000, now() { return this.t; } };
    const c = counted(new SqlTraceStore(handle));
    const traces = new TraceService(c.store, allowAll, clock, quietAlerts, { budgetCacheMs: 2000 });
    await traces.createBudget(actor, { name: 'daily', project: 'default', scope: 'project', period: 'day', limitUsd: 1, hardStop: true });
    await traces.createBudget(actor, { name: 'u-2 daily', project: 'default', scope: 'user', subject: 'u-2', period: 'day', limitUsd: 0.1, hardStop: true });

    expect((await traces.checkBudget(actor, { project: 'default', userId: 'u-1' })).allowed).toBe(true);
    const before = c.reads();
    for (let i = 0; i < 100; i++) await traces.checkBudget(actor, { project: 'default', userId: 'u-1' });
    expect(c.reads()).toBe(before);

    // Spend stored through this service is seen by the very next check, cached or not: 0.6 + 0.4 reaches the limit of 1.
    await spend(traces, clock.t, 0.6);
    const under = await traces.checkBudget(actor, { project: 'default', userId: 'u-1' });
    expect([under.allowed, under.budgets.map((b) => b.spentUsd)]).toEqual([true, [0.6]]);
    await spend(traces, clock.t, 0.4);
    const stopped = await traces.checkBudget(actor, { project: 'default', userId: 'u-1' });
    expect(stopped.allowed).toBe(false);
    expect(stopped.budgets[0]).toMatchObject({ spentUsd: 1, exceeded: true });
    // Still no database read for the checks themselves.
    const afterSpend = c.reads();
    for (let i = 0; i < 20; i++) expect((await traces.checkBudget(actor, { project: 'default', userId: 'u-1' })).allowed).toBe(false);
    expect(c.reads()).toBe(afterSpend);

    // Two seconds later the day is over: the cached spend belongs to yesterday and is read again, for today (nothing yet).
    clock.t = T0 + 1000;
    const nextDay = await traces.checkBudget(actor, { project: 'default', userId: 'u-1' });
    expect(nextDay.allowed).toBe(true);
    expect(nextDay.budgets[0]).toMatchObject({ spentUsd: 0, periodStart: T0 + 1000 });
    expect(c.reads()).toBeGreaterThan(afterSpend);
  });

  it('sees spend another server stored within the cache time: the bounded overshoot', async () => {
    const clock = { t: T0 + 5 * DAY - 3_600_000, now() { return this.t; } };
    const store = new SqlTraceStore(handle);
    const here = new TraceService(store, allowAll, clock, quietAlerts, { budgetCacheMs: 2000 });
    const elsewhere = new TraceService(store, allowAll, clock, quietAlerts, { budgetCacheMs: 2000 });
    const check = async () => (await here.checkBudget(actor, { project: 'default', userId: 'u-2' })).allowed;
    expect(await check()).toBe(true);
    await spend(elsewhere, clock.t, 0.25, 'u-2');
    // Within the cache time this server has not seen it yet…
    clock.t += 1999;
    expect(await check()).toBe(true);
    // …and once the cache time has passed it stops the call.
    clock.t += 1;
    expect(await check()).toBe(false);
  });
});
