import { z } from 'zod';
import { RetrievalEvaluationRequestSchema, evaluateRetrieval } from '../../domain/llmops/retrieval-evaluation.js';
import { BudgetCheckSchema, CreateBudgetSchema, IngestSchema, PricesSchema, RedactionSettingsSchema } from '../../domain/llmops/schemas.js';
import { SPAN_STATUSES } from '../../domain/llmops/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';
import { EvaluationOut } from './evaluation.replies.js';
import { Empty, items, page } from './replies.js';
import { BudgetAlertOut, BudgetStatusOut, budgetStatusToWire, IngestOut, PriceOut, SpanNodeOut, TraceOut } from './traces.replies.js';

/**
 * LLM traces: batches of spans from the SDK (or OTLP at /v1/traces), redacted and costed on the way in; search and
 * the span tree of a trace; the price table, redaction rules and cost budgets.
 */
const tags = ['llmops'];
const TraceId = z.object({ traceId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a trace id') });
const BudgetRef = z.object({ budget: z.string().min(1).max(256) });
const Search = z.object({
  project: z.string().min(1).max(256).optional(), name: z.string().min(1).optional(), userId: z.string().min(1).optional(), sessionId: z.string().min(1).optional(),
  promptName: z.string().min(1).optional(), model: z.string().min(1).optional(), status: z.enum(SPAN_STATUSES).optional(),
  since: QueryInt.optional(), until: QueryInt.optional(), q: z.string().min(1).max(1000).optional().describe('text in span names, inputs, outputs and errors'),
  maxResults: QueryInt.pipe(z.number().int().min(1).max(1000)).optional(), pageToken: z.string().optional(),
}).strict();
const ProjectQuery = z.object({ project: z.string().min(1).max(256).optional() }).strict();

export function traceRoutesV1(s: Services): Route[] {
  const t = s.traces;
  return [
    {
      method: 'POST', path: '/traces',
      schema: { summary: 'Ingest a batch of spans (of one or more traces); inputs, outputs and attributes are redacted before they are stored', tags, body: IngestSchema, response: { 200: IngestOut } },
      handler: async ({ actor, body }) => t.ingest(actor, parse(IngestSchema, body)),
    },
    {
      method: 'GET', path: '/traces',
      schema: { summary: 'Search a project\'s traces, newest first', tags, querystring: Search, response: { 200: page(TraceOut) } },
      handler: async ({ actor, query }) => {
        const q = parse(Search, query);
        const { q: text, ...rest } = q;
        return t.search(actor, { ...rest, ...(text !== undefined ? { text } : {}) });
      },
    },
    {
      method: 'GET', path: '/traces/:traceId',
      schema: { summary: 'A trace with its span tree', tags, params: TraceId, response: { 200: z.object({ trace: TraceOut, spans: z.array(SpanNodeOut) }) } },
      handler: async ({ actor, params }) => t.get(actor, parse(TraceId, params).traceId),
    },
    {
      method: 'POST', path: '/evaluations/retrieval',
      schema: {
        summary: 'Evaluate a retriever: recall@k, precision@k, hit rate@k, nDCG@k, MRR and MAP of retrieved lists against an evaluation set of questions with relevant document ids; stored as a ranking evaluation',
        tags, body: RetrievalEvaluationRequestSchema, response: { 201: EvaluationOut },
      },
      handler: async ({ actor, body, reply }) => {
        const evaluation = await evaluateRetrieval(s.evaluation, actor, body, t);
        void reply.status(201);
        return evaluation;
      },
    },
    {
      method: 'GET', path: '/llm/prices',
      schema: { summary: 'The price table that turns tokens into cost (US dollars per million tokens)', tags, response: { 200: z.object({ prices: z.array(PriceOut) }) } },
      handler: async ({ actor }) => ({ prices: await t.listPrices(actor) }),
    },
    {
      method: 'PUT', path: '/llm/prices',
      schema: { summary: 'Replace the price table', tags, body: PricesSchema, response: { 200: z.object({ prices: z.array(PriceOut) }) } },
      handler: async ({ actor, body }) => ({ prices: await t.setPrices(actor, parse(PricesSchema, body).prices) }),
    },
    {
      method: 'GET', path: '/llm/redaction',
      schema: { summary: 'The PII redaction rules applied to traces before they are stored', tags, response: { 200: RedactionSettingsSchema } },
      handler: async ({ actor }) => t.redactionSettings(actor),
    },
    {
      method: 'PUT', path: '/llm/redaction',
      schema: { summary: 'Set the redaction rules: built-in kinds and user-defined patterns', tags, body: RedactionSettingsSchema, response: { 200: RedactionSettingsSchema } },
      handler: async ({ actor, body }) => t.setRedactionSettings(actor, parse(RedactionSettingsSchema, body)),
    },
    {
      method: 'POST', path: '/llm/budgets',
      schema: { summary: 'Create a cost budget for a project, a prompt or a user, per day or month', tags, body: CreateBudgetSchema, response: { 201: BudgetStatusOut } },
      handler: async ({ actor, body, reply }) => {
        const budget = await t.createBudget(actor, parse(CreateBudgetSchema, body));
        void reply.status(201);
        return budgetStatusToWire((await t.getBudget(actor, budget.budgetId)).status);
      },
    },
    {
      method: 'GET', path: '/llm/budgets',
      schema: { summary: 'A project\'s budgets with what was spent this period', tags, querystring: ProjectQuery, response: { 200: items(BudgetStatusOut) } },
      handler: async ({ actor, query }) => ({ items: (await t.listBudgets(actor, parse(ProjectQuery, query).project)).map(budgetStatusToWire) }),
    },
    {
      method: 'GET', path: '/llm/budget-check',
      schema: { summary: 'Whether a call may go ahead: the budgets that apply to this project, prompt and user, and their hard stops', tags, querystring: BudgetCheckSchema, response: { 200: z.object({ allowed: z.boolean(), budgets: z.array(BudgetStatusOut) }) } },
      handler: async ({ actor, query }) => {
        const out = await t.checkBudget(actor, parse(BudgetCheckSchema, query));
        return { allowed: out.allowed, budgets: out.budgets.map(budgetStatusToWire) };
      },
    },
    {
      method: 'GET', path: '/llm/budgets/:budget',
      schema: { summary: 'A budget, what was spent this period and the alerts it raised', tags, params: BudgetRef, response: { 200: z.object({ status: BudgetStatusOut, alerts: z.array(BudgetAlertOut) }) } },
      handler: async ({ actor, params }) => {
        const out = await t.getBudget(actor, parse(BudgetRef, params).budget);
        return { status: budgetStatusToWire(out.status), alerts: out.alerts };
      },
    },
    {
      method: 'DELETE', path: '/llm/budgets/:budget',
      schema: { summary: 'Delete a budget and its alerts', tags, params: BudgetRef, response: { 200: Empty } },
      handler: async ({ actor, params }) => {
        await t.deleteBudget(actor, parse(BudgetRef, params).budget);
        return {};
      },
    },
  ];
}
