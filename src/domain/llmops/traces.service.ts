import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { noteChange } from '../../core/audit-notes.js';
import { invalid, notFound, orThrow } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import { decodePageToken, encodePageToken } from '../../core/paging.js';
import type { Access } from '../access/access.js';
import { budgetAlertDelivery } from './budget-alerts.js';
import { spansFromOtlp, type OtlpRequest } from './otlp.js';
import { costOf, DEFAULT_PRICES, periodBounds } from './pricing.js';
import { checkCustomPattern, Redactor } from './redaction.js';
import { RedactionSettingsSchema, type CreateBudgetInput, type IngestInput, type RedactionSettings } from './schemas.js';
import { DEFAULT_PROJECT } from '../projects/types.js';
import type { TraceStore } from './traces.store.js';
import type {
  Budget, BudgetAlert, BudgetAlertLevel, BudgetStatus, Price, Span, SpanNode, SpanStatus, StoredSpan, TraceDetail, TraceSummary,
} from './types.js';

/** Told of each budget alert once it and its delivery are stored (see budget-alerts.ts). */
export interface BudgetAlertSink {
  raised(budget: Budget, alert: BudgetAlert): void;
}

export interface IngestResult {
  readonly accepted: number;
  readonly traceIds: readonly string[];
  /** What redaction replaced, by kind. */
  readonly redacted: Readonly<Record<string, number>>;
  readonly alerts: readonly BudgetAlert[];
}

export interface TraceSearch {
  readonly project?: string | undefined;
  readonly name?: string | undefined;
  readonly userId?: string | undefined;
  readonly sessionId?: string | undefined;
  readonly promptName?: string | undefined;
  readonly model?: string | undefined;
  readonly status?: SpanStatus | undefined;
  readonly since?: number | undefined;
  readonly until?: number | undefined;
  readonly text?: string | undefined;
  readonly maxResults?: number | undefined;
  readonly pageToken?: string | undefined;
}

const REDACTION_KEY = 'redaction';
/**
 * How long the budget check trusts the spend it read. The replica that stores spans refreshes the spend of the budgets
 * they count against at once (checkBudgets reads it fresh); spans stored by other replicas are seen within this time.
 */
export const BUDGET_CACHE_MS = 2000;
const PRICES_KEY = 'prices.initialized';
/** The newest retrieval spans an evaluation from traces reads at most; narrow older ones out with `since`/`until`. */
export const MAX_RETRIEVAL_SPANS = 100_000;
/** Inputs and outputs larger than this are cut (after redaction) so one runaway prompt cannot bloat the store. */
const MAX_CONTENT_CHARS = 256 * 1024;

function clip(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  if (text === undefined || text.length <= MAX_CONTENT_CHARS) return value;
  return { truncated: true, chars: text.length, head: text.slice(0, MAX_CONTENT_CHARS) };
}

/**
 * LLM traces: native and OTLP ingest (redacted before anything is stored, costed from the price table), search,
 * the span tree of one trace, cost budgets with alerts and the budget check the SDK's hard stop asks. Traces belong
 * to a project: sending them needs EDIT there, reading READ; the price table and redaction rules are the server's
 * (MANAGE), budgets their project's (MANAGE).
 */
export class TraceService {
  private redactor: Redactor | undefined;
  private redactorLoaded = false;
  private prices: readonly Price[] | undefined;

  /** Spend per budget as last read, for the budget check (see `checkBudget`). */
  private readonly spendCache = new Map<string, { from: number; spentUsd: number; at: number }>();
  private readonly budgetCache = new Map<string, { budgets: Budget[]; at: number }>();
  private readonly budgetCacheMs: number;

  constructor(
    private readonly store: TraceStore,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly alerts: BudgetAlertSink,
    options: { budgetCacheMs?: number } = {},
  ) {
    this.budgetCacheMs = options.budgetCacheMs ?? BUDGET_CACHE_MS;
  }

  async ingest(actor: Actor, input: IngestInput): Promise<IngestResult> {
    return this.store_(actor, input.spans, input.project);
  }

  async ingestOtlp(actor: Actor, request: OtlpRequest, project?: string): Promise<IngestResult> {
    const mapped = spansFromOtlp(request);
    if (mapped.length === 0) return { accepted: 0, traceIds: [], redacted: {}, alerts: [] };
    // A span naming its project (resource attribute openexpert.project) goes there; the others to the request's.
    const groups = new Map<string, Span[]>();
    for (const { project: p, ...span } of mapped) {
      const target = p ?? project ?? DEFAULT_PROJECT;
      (groups.get(target) ?? groups.set(target, []).get(target)!).push(span);
    }
    const results: IngestResult[] = [];
    for (const [p, spans] of groups) results.push(await this.store_(actor, spans, p));
    const redacted: Record<string, number> = {};
    for (const r of results) for (const [k, n] of Object.entries(r.redacted)) redacted[k] = (redacted[k] ?? 0) + n;
    return { accepted: mapped.length, traceIds: [...new Set(results.flatMap((r) => r.traceIds))], redacted, alerts: results.flatMap((r) => r.alerts) };
  }

  private async store_(actor: Actor, spans: readonly Span[], projectName: string | undefined): Promise<IngestResult> {
    const project = projectName ?? DEFAULT_PROJECT;
    await this.access.require(actor, 'EDIT', { kind: 'server', project });
    const traceIds = [...new Set(spans.map((s) => s.traceId))];
    const existing = await this.store.projectsOf(traceIds);
    for (const [id, p] of existing) if (p !== project) throw invalid(`Trace '${id}' belongs to project '${p}', not '${project}'`);
    const redactor = await this.currentRedactor();
    const prices = await this.priceTable();
    const redacted: Record<string, number> = {};
    const stored: StoredSpan[] = spans.map((s) => {
      const cost = s.cost ?? costOf(prices, s);
      const r = <T>(v: T) => (redactor ? redactor.redactValue(v, redacted) : v);
      return {
        ...s, project,
        ...(s.input !== undefined ? { input: clip(r(s.input)) } : {}),
        ...(s.output !== undefined ? { output: clip(r(s.output)) } : {}),
        ...(s.error !== undefined ? { error: r(s.error) } : {}),
        attributes: r(s.attributes),
        ...(cost !== undefined ? { cost } : {}),
      };
    });
    await this.store.putSpans(stored, this.clock.now());
    const alerts = await this.checkBudgets(project, stored);
    return { accepted: stored.length, traceIds, redacted, alerts };
  }

  async search(actor: Actor, q: TraceSearch): Promise<{ items: TraceSummary[]; nextPageToken?: string }> {
    const project = q.project ?? DEFAULT_PROJECT;
    await this.access.require(actor, 'READ', { kind: 'server', project });
    const offset = decodePageToken(q.pageToken, 'pageToken');
    const limit = q.maxResults ?? 100;
    const rows = await this.store.searchTraces({
      projects: [project], offset, limit,
      ...Object.fromEntries(Object.entries({ name: q.name, userId: q.userId, sessionId: q.sessionId, promptName: q.promptName, model: q.model, status: q.status, since: q.since, until: q.until, text: q.text }).filter(([, v]) => v !== undefined)),
    });
    const next = rows.length > limit ? encodePageToken(offset + limit) : undefined;
    return { items: rows.slice(0, limit), ...(next ? { nextPageToken: next } : {}) };
  }

  async get(actor: Actor, traceId: string): Promise<TraceDetail> {
    const trace = await this.store.getTrace(traceId);
    // A trace in a project the caller may not read answers as if it did not exist.
    if (!trace) {
      await this.access.require(actor, 'READ', { kind: 'server' });
      throw notFound(`Trace '${traceId}'`);
    }
    await this.access.require(actor, 'READ', { kind: 'server', project: trace.project }).catch((err: unknown) => {
      throw (err as { code?: string }).code === 'PERMISSION_DENIED' ? notFound(`Trace '${traceId}'`) : err;
    });
    return { trace, spans: spanTree(await this.store.listSpans(traceId)) };
  }

  /** The retrieval spans of a project (READ), newest first: what a retrieval evaluation from traces reads. */
  async retrievalSpans(actor: Actor, q: { project?: string | undefined; name?: string | undefined; since?: number | undefined; until?: number | undefined }): Promise<StoredSpan[]> {
    const project = q.project ?? DEFAULT_PROJECT;
    await this.access.require(actor, 'READ', { kind: 'server', project });
    return this.store.listSpansOfKind({
      project, kind: 'retrieval', limit: MAX_RETRIEVAL_SPANS,
      ...(q.name !== undefined ? { name: q.name } : {}), ...(q.since !== undefined ? { since: q.since } : {}), ...(q.until !== undefined ? { until: q.until } : {}),
    });
  }

  async listPrices(actor: Actor): Promise<Price[]> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    return [...await this.priceTable()];
  }

  async setPrices(actor: Actor, prices: readonly Price[]): Promise<Price[]> {
    await this.access.require(actor, 'MANAGE', { kind: 'server' });
    const keys = new Set<string>();
    for (const p of prices) {
      const key = `${p.provider}\u0000${p.model}`;
      if (keys.has(key)) throw invalid(`Price for provider '${p.provider}' and model '${p.model}' is given twice`);
      keys.add(key);
    }
    const before = await this.priceTable();
    await this.store.setPrices(prices, this.clock.now());
    await this.store.putSetting(PRICES_KEY, 'true', this.clock.now());
    this.prices = [...prices];
    noteChange({ object: 'llm_prices', before: { count: before.length }, after: { count: prices.length } });
    return [...prices];
  }

  async redactionSettings(actor: Actor): Promise<RedactionSettings> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    return this.settings();
  }

  async setRedactionSettings(actor: Actor, settings: RedactionSettings): Promise<RedactionSettings> {
    await this.access.require(actor, 'MANAGE', { kind: 'server' });
    for (const c of settings.custom) {
      const problem = checkCustomPattern(c);
      if (problem) throw invalid(`Invalid value for parameter 'custom': ${problem}`);
    }
    const before = await this.settings();
    await this.store.putSetting(REDACTION_KEY, JSON.stringify(settings), this.clock.now());
    this.redactorLoaded = false;
    noteChange({ object: 'llm_redaction', before, after: settings });
    return settings;
  }

  async createBudget(actor: Actor, input: CreateBudgetInput): Promise<Budget> {
    await this.access.require(actor, 'MANAGE', { kind: 'server', project: input.project });
    if (input.scope === 'project' && input.subject !== undefined) throw invalid("Invalid value for parameter 'subject': a project budget has none");
    if (input.scope !== 'project' && input.subject === undefined) throw invalid(`Invalid value for parameter 'subject': name the ${input.scope === 'prompt' ? 'prompt' : 'user'} of a ${input.scope} budget`);
    const budget: Budget = {
      budgetId: newHexId(), name: input.name, project: input.project, scope: input.scope, ...(input.subject !== undefined ? { subject: input.subject } : {}),
      period: input.period, limitUsd: input.limitUsd, ...(input.warnAt !== undefined ? { warnAt: input.warnAt } : {}), hardStop: input.hardStop,
      ...(input.webhookUrl !== undefined ? { webhookUrl: input.webhookUrl } : {}), webhookSecret: input.webhookSecret ?? newHexId(24),
      createdBy: actor.userId, createdAt: this.clock.now(),
    };
    await this.store.createBudget(budget);
    this.budgetCache.delete(budget.project);
    noteChange({ object: `llm_budget:${budget.name}`, after: { ...budget, webhookSecret: '***' } });
    return budget;
  }

  async listBudgets(actor: Actor, project?: string): Promise<BudgetStatus[]> {
    const p = project ?? DEFAULT_PROJECT;
    await this.access.require(actor, 'READ', { kind: 'server', project: p });
    return Promise.all((await this.store.listBudgets([p])).map((b) => this.statusOf(b)));
  }

  async getBudget(actor: Actor, idOrName: string): Promise<{ status: BudgetStatus; alerts: BudgetAlert[] }> {
    const budget = await this.budget(actor, idOrName, 'READ');
    return { status: await this.statusOf(budget), alerts: await this.store.listBudgetAlerts(budget.budgetId, 100) };
  }

  async deleteBudget(actor: Actor, idOrName: string): Promise<void> {
    const budget = await this.budget(actor, idOrName, 'MANAGE');
    await this.store.deleteBudget(budget.budgetId);
    this.budgetCache.delete(budget.project);
    this.spendCache.delete(budget.budgetId);
    noteChange({ object: `llm_budget:${budget.name}`, before: { ...budget, webhookSecret: '***' } });
  }

  /**
   * What the SDK asks before a call: the budgets that apply to this project, prompt and user, and whether any hard
   * stop among them is exhausted. Needs only what sending traces needs (EDIT on the project). Asked before every LLM
   * call, it is answered from memory: budgets and spend are read at most once per `BUDGET_CACHE_MS`, and spans this
   * process stores refresh the spend they change, so a hard stop overshoots by at most what other replicas stored in
   * that time (plus the calls in flight and spans the SDK has not exported yet).
   */
  async checkBudget(actor: Actor, input: { project: string; promptName?: string | undefined; userId?: string | undefined }): Promise<{ allowed: boolean; budgets: BudgetStatus[] }> {
    await this.access.require(actor, 'EDIT', { kind: 'server', project: input.project });
    const applicable = (await this.cachedBudgets(input.project)).filter((b) =>
      b.scope === 'project' || (b.scope === 'prompt' && b.subject === input.promptName) || (b.scope === 'user' && b.subject === input.userId));
    const budgets = await Promise.all(applicable.map((b) => this.statusOf(b, true)));
    return { allowed: !budgets.some((s) => s.budget.hardStop && s.exceeded), budgets };
  }

  private async budget(actor: Actor, idOrName: string, permission: 'READ' | 'MANAGE'): Promise<Budget> {
    const budget = await this.store.getBudget(idOrName);
    if (!budget) {
      await this.access.require(actor, 'READ', { kind: 'server' });
      throw notFound(`Budget '${idOrName}'`);
    }
    await this.access.require(actor, permission, { kind: 'server', project: budget.project });
    return orThrow(budget, () => notFound(`Budget '${idOrName}'`));
  }

  /** A project's budgets, read again once the cache time has passed or this process created or deleted one. */
  private async cachedBudgets(project: string): Promise<Budget[]> {
    const now = this.clock.now();
    const hit = this.budgetCache.get(project);
    if (hit && now - hit.at < this.budgetCacheMs) return hit.budgets;
    const budgets = await this.store.listBudgets([project]);
    this.budgetCache.set(project, { budgets, at: now });
    return budgets;
  }

  /**
   * What a budget has spent this period. `cached` takes the last figure read while it is younger than the cache time
   * and of the same period (a new day or month reads again, so the boundary resets spend at once); every read refreshes it.
   */
  private async statusOf(budget: Budget, cached = false): Promise<BudgetStatus> {
    const now = this.clock.now();
    const { from, to } = periodBounds(budget.period, now);
    const hit = this.spendCache.get(budget.budgetId);
    let spentUsd: number;
    if (cached && hit && hit.from === from && now - hit.at < this.budgetCacheMs) {
      spentUsd = hit.spentUsd;
    } else {
      spentUsd = await this.store.spend({
        project: budget.project, from, to,
        ...(budget.scope === 'prompt' ? { promptName: budget.subject! } : budget.scope === 'user' ? { userId: budget.subject! } : {}),
      });
      this.spendCache.set(budget.budgetId, { from, spentUsd, at: now });
    }
    return { budget, periodStart: from, spentUsd, remainingUsd: Math.max(0, budget.limitUsd - spentUsd), exceeded: spentUsd >= budget.limitUsd };
  }

  /** After spans are stored: each budget they count against that crossed its warning or its limit raises that alert, once a period. */
  private async checkBudgets(project: string, spans: readonly StoredSpan[]): Promise<BudgetAlert[]> {
    if (!spans.some((s) => (s.cost ?? 0) > 0)) return [];
    const prompts = new Set(spans.map((s) => s.promptName));
    const users = new Set(spans.map((s) => s.userId));
    const raised: BudgetAlert[] = [];
    for (const budget of await this.store.listBudgets([project])) {
      if ((budget.scope === 'prompt' && !prompts.has(budget.subject)) || (budget.scope === 'user' && !users.has(budget.subject))) continue;
      const status = await this.statusOf(budget);
      const levels: BudgetAlertLevel[] = [];
      if (budget.warnAt !== undefined && status.spentUsd >= budget.warnAt * budget.limitUsd) levels.push('warning');
      if (status.exceeded) levels.push('exceeded');
      for (const level of levels) {
        const alert: BudgetAlert = { alertId: newHexId(), budgetId: budget.budgetId, periodStart: status.periodStart, level, spentUsd: status.spentUsd, limitUsd: budget.limitUsd, at: this.clock.now() };
        if (!await this.store.addBudgetAlert(alert, budgetAlertDelivery(budget, alert))) continue;
        raised.push(alert);
        this.alerts.raised(budget, alert);
      }
    }
    return raised;
  }

  private async settings(): Promise<RedactionSettings> {
    const text = await this.store.getSetting(REDACTION_KEY);
    return text === undefined ? RedactionSettingsSchema.parse({}) : RedactionSettingsSchema.parse(JSON.parse(text));
  }

  private async currentRedactor(): Promise<Redactor | undefined> {
    // Other replicas may change the rules: they are read again at most every few seconds.
    if (!this.redactorLoaded || this.clock.now() - this.loadedAt > 5000) {
      const s = await this.settings();
      this.redactor = s.enabled ? new Redactor({ ...(s.kinds ? { kinds: s.kinds } : {}), custom: s.custom }) : undefined;
      this.redactorLoaded = true;
      this.loadedAt = this.clock.now();
    }
    return this.redactor;
  }

  private loadedAt = 0;

  private async priceTable(): Promise<readonly Price[]> {
    if (this.prices && this.clock.now() - this.pricesAt < 5000) return this.prices;
    // Until someone sets a price table, the defaults apply; an explicitly emptied table stays empty.
    this.prices = (await this.store.getSetting(PRICES_KEY)) === undefined ? DEFAULT_PRICES : await this.store.listPrices();
    this.pricesAt = this.clock.now();
    return this.prices;
  }

  private pricesAt = 0;
}

/** Spans into a tree by parent id; children in start order; a span whose parent is missing is a root. */
export function spanTree(spans: readonly StoredSpan[]): SpanNode[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, StoredSpan[]>();
  for (const s of [...spans].sort((a, b) => a.startTime - b.startTime)) {
    const parent = s.parentSpanId !== undefined && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    (children.get(parent) ?? children.set(parent, []).get(parent)!).push(s);
  }
  const placed = new Set<string>();
  const build = (s: StoredSpan): SpanNode => {
    placed.add(s.spanId);
    return { ...s, children: (children.get(s.spanId) ?? []).filter((c) => !placed.has(c.spanId)).map(build) };
  };
  const roots = (children.get(undefined) ?? []).map(build);
  // Spans whose parents form a cycle (a sender's bug) reach no root; they are shown as roots rather than lost.
  for (const s of [...spans].sort((a, b) => a.startTime - b.startTime)) if (!placed.has(s.spanId)) roots.push(build(s));
  return roots;
}
