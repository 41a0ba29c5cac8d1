import { sql, type Kysely, type Selectable } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { SpendQuery, TraceStore } from '../../domain/llmops/traces.store.js';
import type { Budget, BudgetAlert, BudgetPeriod, BudgetScope, Price, SpanKind, SpanStatus, StoredSpan, TraceQuery, TraceSummary } from '../../domain/llmops/types.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database } from '../schema.js';
import type { LlmopsTables } from '../tables/llmops.tables.js';
import type { WebhookDelivery } from '../../domain/monitoring/webhooks.js';
import { insertWebhookDelivery } from './webhooks.sql-store.js';

const opt = <K extends string, V>(key: K, v: V | null): { [P in K]?: V } => (v === null ? {} : ({ [key]: v } as { [P in K]: V }));
const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

const spanOf = (r: Selectable<LlmopsTables['llm_spans']>): StoredSpan => ({
  traceId: r.trace_id, spanId: r.span_id, ...opt('parentSpanId', r.parent_span_id), project: r.project, name: r.name, kind: r.kind as SpanKind,
  startTime: Number(r.start_time), ...opt('endTime', r.end_time === null ? null : Number(r.end_time)), status: r.status as SpanStatus, ...opt('error', r.error),
  ...opt('input', r.input === null ? null : JSON.parse(r.input) as unknown), ...opt('output', r.output === null ? null : JSON.parse(r.output) as unknown),
  ...opt('model', r.model), ...opt('provider', r.provider),
  ...opt('inputTokens', r.input_tokens === null ? null : Number(r.input_tokens)), ...opt('outputTokens', r.output_tokens === null ? null : Number(r.output_tokens)),
  ...opt('cost', r.cost === null ? null : Number(r.cost)), ...opt('promptName', r.prompt_name), ...opt('promptVersion', r.prompt_version),
  ...opt('userId', r.user_id), ...opt('sessionId', r.session_id), attributes: JSON.parse(r.attributes) as Record<string, unknown>,
});

const traceOf = (r: Selectable<LlmopsTables['llm_traces']>): TraceSummary => ({
  traceId: r.trace_id, project: r.project, name: r.name, ...opt('userId', r.user_id), ...opt('sessionId', r.session_id),
  ...opt('promptName', r.prompt_name), ...opt('promptVersion', r.prompt_version), startTime: Number(r.start_time),
  ...opt('endTime', r.end_time === null ? null : Number(r.end_time)), status: r.status as SpanStatus, spanCount: Number(r.span_count),
  inputTokens: Number(r.input_tokens), outputTokens: Number(r.output_tokens), cost: Number(r.cost), models: JSON.parse(r.models) as string[],
});

const budgetOf = (r: Selectable<LlmopsTables['llm_budgets']>): Budget => ({
  budgetId: r.budget_id, name: r.name, project: r.project, scope: r.scope as BudgetScope, ...opt('subject', r.subject), period: r.period as BudgetPeriod,
  limitUsd: Number(r.limit_usd), ...opt('warnAt', r.warn_at === null ? null : Number(r.warn_at)), hardStop: Number(r.hard_stop) === 1,
  ...opt('webhookUrl', r.webhook_url), webhookSecret: r.webhook_secret, createdBy: r.created_by, createdAt: Number(r.created_at),
});

/** Summary of a trace from its spans: the root (no parent, else the earliest) names it; errors anywhere make it an error. */
function summarize(traceId: string, project: string, spans: readonly StoredSpan[], now: number): LlmopsTables['llm_traces'] {
  const sorted = [...spans].sort((a, b) => a.startTime - b.startTime);
  const ids = new Set(spans.map((s) => s.spanId));
  const root = sorted.find((s) => s.parentSpanId === undefined) ?? sorted.find((s) => !ids.has(s.parentSpanId!)) ?? sorted[0]!;
  const first = <T>(f: (s: StoredSpan) => T | undefined) => [root, ...sorted].map(f).find((v) => v !== undefined) ?? null;
  const ends = spans.map((s) => s.endTime).filter((e): e is number => e !== undefined);
  const status: SpanStatus = spans.some((s) => s.status === 'error') ? 'error' : spans.every((s) => s.status === 'unset') ? 'unset' : 'ok';
  return {
    trace_id: traceId, project, name: root.name, user_id: first((s) => s.userId), session_id: first((s) => s.sessionId),
    prompt_name: first((s) => s.promptName), prompt_version: first((s) => s.promptVersion),
    start_time: sorted[0]!.startTime, end_time: ends.length ? Math.max(...ends) : null, status, span_count: spans.length,
    input_tokens: spans.reduce((a, s) => a + (s.inputTokens ?? 0), 0), output_tokens: spans.reduce((a, s) => a + (s.outputTokens ?? 0), 0),
    cost: spans.reduce((a, s) => a + (s.cost ?? 0), 0), models: JSON.stringify([...new Set(spans.map((s) => s.model).filter((m) => m !== undefined))].sort()),
    updated_at: now,
  };
}

export class SqlTraceStore implements TraceStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  putSpans(spans: readonly StoredSpan[], now: number): Promise<void> {
    return busyGuard(() => this.db.transaction().execute(async (tx) => {
      const rows = spans.map((s) => ({
        trace_id: s.traceId, span_id: s.spanId, parent_span_id: s.parentSpanId ?? null, project: s.project, name: s.name, kind: s.kind,
        start_time: s.startTime, end_time: s.endTime ?? null, status: s.status, error: s.error ?? null, input: json(s.input), output: json(s.output),
        model: s.model ?? null, provider: s.provider ?? null, input_tokens: s.inputTokens ?? null, output_tokens: s.outputTokens ?? null, cost: s.cost ?? null,
        prompt_name: s.promptName ?? null, prompt_version: s.promptVersion ?? null, user_id: s.userId ?? null, session_id: s.sessionId ?? null,
        attributes: JSON.stringify(s.attributes),
      }));
      // Bound parameters per statement stay under SQLite's and PostgreSQL's limits (23 columns a row).
      for (let i = 0; i < rows.length; i += 500) {
        await tx.insertInto('llm_spans').values(rows.slice(i, i + 500)).onConflict((oc) => oc.columns(['trace_id', 'span_id']).doUpdateSet((eb) => ({
          parent_span_id: eb.ref('excluded.parent_span_id'), name: eb.ref('excluded.name'), kind: eb.ref('excluded.kind'), start_time: eb.ref('excluded.start_time'),
          end_time: eb.ref('excluded.end_time'), status: eb.ref('excluded.status'), error: eb.ref('excluded.error'), input: eb.ref('excluded.input'),
          output: eb.ref('excluded.output'), model: eb.ref('excluded.model'), provider: eb.ref('excluded.provider'), input_tokens: eb.ref('excluded.input_tokens'),
          output_tokens: eb.ref('excluded.output_tokens'), cost: eb.ref('excluded.cost'), prompt_name: eb.ref('excluded.prompt_name'),
          prompt_version: eb.ref('excluded.prompt_version'), user_id: eb.ref('excluded.user_id'), session_id: eb.ref('excluded.session_id'), attributes: eb.ref('excluded.attributes'),
        }))).execute();
      }
      const traceIds = [...new Set(spans.map((s) => s.traceId))];
      for (let i = 0; i < traceIds.length; i += 500) {
        const chunk = traceIds.slice(i, i + 500);
        const all = (await tx.selectFrom('llm_spans').selectAll().where('trace_id', 'in', chunk).execute()).map(spanOf);
        const byTrace = new Map<string, StoredSpan[]>();
        for (const s of all) (byTrace.get(s.traceId) ?? byTrace.set(s.traceId, []).get(s.traceId)!).push(s);
        const summaries = [...byTrace].map(([id, ss]) => summarize(id, ss[0]!.project, ss, now));
        await tx.insertInto('llm_traces').values(summaries).onConflict((oc) => oc.column('trace_id').doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'), user_id: eb.ref('excluded.user_id'), session_id: eb.ref('excluded.session_id'), prompt_name: eb.ref('excluded.prompt_name'),
          prompt_version: eb.ref('excluded.prompt_version'), start_time: eb.ref('excluded.start_time'), end_time: eb.ref('excluded.end_time'), status: eb.ref('excluded.status'),
          span_count: eb.ref('excluded.span_count'), input_tokens: eb.ref('excluded.input_tokens'), output_tokens: eb.ref('excluded.output_tokens'),
          cost: eb.ref('excluded.cost'), models: eb.ref('excluded.models'), updated_at: eb.ref('excluded.updated_at'),
        }))).execute();
      }
    }));
  }

  async projectsOf(traceIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < traceIds.length; i += 500) {
      const rows = await busyGuard(() => this.db.selectFrom('llm_traces').select(['trace_id', 'project']).where('trace_id', 'in', traceIds.slice(i, i + 500)).execute());
      for (const r of rows) out.set(r.trace_id, r.project);
    }
    return out;
  }

  async getTrace(traceId: string): Promise<TraceSummary | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('llm_traces').selectAll().where('trace_id', '=', traceId).executeTakeFirst());
    return row ? traceOf(row) : undefined;
  }

  async listSpans(traceId: string): Promise<StoredSpan[]> {
    const rows = await busyGuard(() => this.db.selectFrom('llm_spans').selectAll().where('trace_id', '=', traceId).orderBy('start_time').orderBy('span_id').execute());
    return rows.map(spanOf);
  }

  async listSpansOfKind(q: { project: string; kind: SpanKind; name?: string; since?: number; until?: number; limit: number }): Promise<StoredSpan[]> {
    let query = this.db.selectFrom('llm_spans').selectAll().where('project', '=', q.project).where('kind', '=', q.kind);
    if (q.name !== undefined) query = query.where('name', '=', q.name);
    if (q.since !== undefined) query = query.where('start_time', '>=', q.since);
    if (q.until !== undefined) query = query.where('start_time', '<=', q.until);
    const rows = await busyGuard(() => query.orderBy('start_time', 'desc').orderBy('span_id').limit(q.limit).execute());
    return rows.map(spanOf);
  }

  async searchTraces(q: TraceQuery): Promise<TraceSummary[]> {
    if (q.projects?.length === 0) return [];
    let query = this.db.selectFrom('llm_traces').selectAll();
    if (q.projects) query = query.where('project', 'in', [...q.projects]);
    if (q.name !== undefined) query = query.where('name', '=', q.name);
    if (q.userId !== undefined) query = query.where('user_id', '=', q.userId);
    if (q.sessionId !== undefined) query = query.where('session_id', '=', q.sessionId);
    if (q.promptName !== undefined) query = query.where('prompt_name', '=', q.promptName);
    if (q.status !== undefined) query = query.where('status', '=', q.status);
    if (q.since !== undefined) query = query.where('start_time', '>=', q.since);
    if (q.until !== undefined) query = query.where('start_time', '<=', q.until);
    if (q.model !== undefined) {
      const model = q.model;
      query = query.where(({ exists, selectFrom }) => exists(selectFrom('llm_spans as s').select('s.span_id').whereRef('s.trace_id', '=', 'llm_traces.trace_id').where('s.model', '=', model)));
    }
    if (q.text !== undefined) {
      // Case-insensitive on both backends; the pattern's own wildcards are escaped so users search literally.
      const pattern = `%${q.text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where(({ exists, selectFrom }) => exists(selectFrom('llm_spans as s').select('s.span_id').whereRef('s.trace_id', '=', 'llm_traces.trace_id').where((eb) => eb.or(
        (['s.name', 's.input', 's.output', 's.error'] as const).map((col) => eb(sql`lower(${sql.ref(col)})`, 'like', sql`${pattern} escape '\\'`)),
      ))));
    }
    const rows = await busyGuard(() => query.orderBy('start_time', 'desc').orderBy('trace_id').offset(q.offset).limit(q.limit + 1).execute());
    return rows.map(traceOf);
  }

  async spend(q: SpendQuery): Promise<number> {
    let query = this.db.selectFrom('llm_spans').select((eb) => eb.fn.sum<number | string | null>('cost').as('total'))
      .where('project', '=', q.project).where('start_time', '>=', q.from).where('start_time', '<', q.to);
    if (q.promptName !== undefined) query = query.where('prompt_name', '=', q.promptName);
    if (q.userId !== undefined) query = query.where('user_id', '=', q.userId);
    const row = await busyGuard(() => query.executeTakeFirst());
    return Number(row?.total ?? 0);
  }

  async listPrices(): Promise<Price[]> {
    const rows = await busyGuard(() => this.db.selectFrom('llm_prices').selectAll().orderBy('provider').orderBy('model').execute());
    return rows.map((r) => ({ provider: r.provider, model: r.model, inputPerMillion: Number(r.input_per_million), outputPerMillion: Number(r.output_per_million) }));
  }

  setPrices(prices: readonly Price[], now: number): Promise<void> {
    return busyGuard(() => this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('llm_prices').execute();
      if (prices.length === 0) return;
      await tx.insertInto('llm_prices').values(prices.map((p) => ({
        provider: p.provider, model: p.model, input_per_million: p.inputPerMillion, output_per_million: p.outputPerMillion, updated_at: now,
      }))).execute();
    }));
  }

  async getSetting(key: string): Promise<string | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('llm_settings').select('value').where('key', '=', key).executeTakeFirst());
    return row?.value;
  }

  putSetting(key: string, value: string, now: number): Promise<void> {
    return busyGuard(async () => {
      await this.db.insertInto('llm_settings').values({ key, value, updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now })).execute();
    });
  }

  createBudget(b: Budget): Promise<void> {
    return busyGuard(async () => {
      try {
        await this.db.insertInto('llm_budgets').values({
          budget_id: b.budgetId, name: b.name, project: b.project, scope: b.scope, subject: b.subject ?? null, period: b.period, limit_usd: b.limitUsd,
          warn_at: b.warnAt ?? null, hard_stop: b.hardStop ? 1 : 0, webhook_url: b.webhookUrl ?? null, webhook_secret: b.webhookSecret,
          created_by: b.createdBy, created_at: b.createdAt,
        }).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`Budget '${b.name}'`);
        throw err;
      }
    });
  }

  async getBudget(idOrName: string): Promise<Budget | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('llm_budgets').selectAll().where((eb) => eb.or([eb('budget_id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst());
    return row ? budgetOf(row) : undefined;
  }

  async listBudgets(projects?: readonly string[]): Promise<Budget[]> {
    if (projects?.length === 0) return [];
    let q = this.db.selectFrom('llm_budgets').selectAll();
    if (projects) q = q.where('project', 'in', [...projects]);
    return (await busyGuard(() => q.orderBy('name').execute())).map(budgetOf);
  }

  deleteBudget(budgetId: string): Promise<void> {
    return busyGuard(() => this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('llm_budget_alerts').where('budget_id', '=', budgetId).execute();
      await tx.deleteFrom('llm_budgets').where('budget_id', '=', budgetId).execute();
    }));
  }

  async addBudgetAlert(a: BudgetAlert, delivery?: WebhookDelivery): Promise<boolean> {
    const values = { alert_id: a.alertId, budget_id: a.budgetId, period_start: a.periodStart, level: a.level, spent_usd: a.spentUsd, limit_usd: a.limitUsd, at: a.at };
    return busyGuard(() => this.db.transaction().execute(async (tx) => {
      // Two replicas ingesting at once both see the limit crossed; the unique key lets one of them raise the alert.
      const result = await tx.insertInto('llm_budget_alerts').values(values)
        .onConflict((oc) => oc.columns(['budget_id', 'period_start', 'level']).doNothing()).executeTakeFirst();
      const added = Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
      if (added && delivery) await insertWebhookDelivery(tx, delivery);
      return added;
    }));
  }

  async listBudgetAlerts(budgetId: string, limit: number): Promise<BudgetAlert[]> {
    const rows = await busyGuard(() => this.db.selectFrom('llm_budget_alerts').selectAll().where('budget_id', '=', budgetId).orderBy('at', 'desc').limit(limit).execute());
    return rows.map((r) => ({
      alertId: r.alert_id, budgetId: r.budget_id, periodStart: Number(r.period_start), level: r.level as BudgetAlert['level'],
      spentUsd: Number(r.spent_usd), limitUsd: Number(r.limit_usd), at: Number(r.at),
    }));
  }
}
