import { z } from 'zod';
import type { BudgetAlert, BudgetStatus, Price, SpanNode, TraceSummary } from '../../domain/llmops/types.js';
import { BUDGET_PERIODS, BUDGET_SCOPES, SPAN_KINDS, SPAN_STATUSES } from '../../domain/llmops/types.js';
import { described } from './replies.js';

export const TraceOut = described<TraceSummary>()(z.object({
  traceId: z.string(), project: z.string(), name: z.string(), userId: z.string().optional(), sessionId: z.string().optional(),
  promptName: z.string().optional(), promptVersion: z.string().optional(), startTime: z.number().describe('epoch milliseconds'), endTime: z.number().optional(),
  status: z.enum(SPAN_STATUSES), spanCount: z.number().int(), inputTokens: z.number().int(), outputTokens: z.number().int(),
  cost: z.number().describe('US dollars, summed over the spans'), models: z.array(z.string()),
}).meta({ id: 'Trace' }));

const SpanFields = {
  traceId: z.string(), spanId: z.string(), parentSpanId: z.string().optional(), project: z.string(), name: z.string(), kind: z.enum(SPAN_KINDS),
  startTime: z.number(), endTime: z.number().optional(), status: z.enum(SPAN_STATUSES), error: z.string().optional(),
  input: z.unknown().optional(), output: z.unknown().optional(), model: z.string().optional(), provider: z.string().optional(),
  inputTokens: z.number().int().optional(), outputTokens: z.number().int().optional(), cost: z.number().optional(),
  promptName: z.string().optional(), promptVersion: z.string().optional(), userId: z.string().optional(), sessionId: z.string().optional(),
  attributes: z.record(z.string(), z.unknown()),
};
type SpanWire = Omit<SpanNode, 'children'> & { children: SpanWire[] };
export const SpanNodeOut: z.ZodType<SpanWire> = z.lazy(() => z.object({ ...SpanFields, children: z.array(SpanNodeOut) })).meta({ id: 'SpanNode' });

export const PriceOut = described<Price>()(z.object({ provider: z.string(), model: z.string(), inputPerMillion: z.number(), outputPerMillion: z.number() }));

type BudgetWire = Omit<BudgetStatus['budget'], 'webhookSecret'>;
export const BudgetStatusOut = z.object({
  budget: z.object({
    budgetId: z.string(), name: z.string(), project: z.string(), scope: z.enum(BUDGET_SCOPES), subject: z.string().optional(), period: z.enum(BUDGET_PERIODS),
    limitUsd: z.number(), warnAt: z.number().optional(), hardStop: z.boolean(), webhookUrl: z.string().optional(), createdBy: z.string(), createdAt: z.number(),
  }),
  periodStart: z.number(), spentUsd: z.number(), remainingUsd: z.number(), exceeded: z.boolean(),
}).meta({ id: 'BudgetStatus' });
export const budgetStatusToWire = (s: BudgetStatus): z.output<typeof BudgetStatusOut> => {
  const { webhookSecret: _secret, ...budget } = s.budget;
  return { ...s, budget: budget satisfies BudgetWire };
};

export const BudgetAlertOut = described<BudgetAlert>()(z.object({
  alertId: z.string(), budgetId: z.string(), periodStart: z.number(), level: z.enum(['warning', 'exceeded']), spentUsd: z.number(), limitUsd: z.number(), at: z.number(),
}));

export const IngestOut = z.object({
  accepted: z.number().int(), traceIds: z.array(z.string()), redacted: z.record(z.string(), z.number().int()).describe('what redaction replaced, by kind'),
  alerts: z.array(BudgetAlertOut).describe('budget alerts this batch raised'),
});
