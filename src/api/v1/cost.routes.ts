import { z } from 'zod';
import { CreateComputeBudgetSchema, LogUsageSchema } from '../../domain/cost/schemas.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import {
  budgetStatusToWire, ComputeBudgetAlertOut, ComputeBudgetStatusOut, CostTotalsOut, ExperimentCostOut, PriceTableOut, RunUsageOut,
} from './cost.replies.js';
import { items } from './replies.js';

/**
 * Compute cost: usage per run (measured by `openexpert run`, sweeps and pipelines, or reported), its cost by the
 * price table, summed per sweep and experiment, and budgets with alerts and an optional hard stop.
 */
const tags = ['cost'];
const RunRef = z.object({ runId: z.string().min(1).max(64) });
const ExperimentRef = z.object({ id: z.string().min(1).max(64) });
const SweepRef = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'must be a sweep id') });
const BudgetRef = z.object({ budget: z.string().min(1).max(256) });

export function costRoutesV1(s: Services): Route[] {
  const c = s.cost;
  return [
    {
      method: 'POST', path: '/runs/:runId/usage',
      schema: { summary: 'Add usage to a run (CPU, peak memory, wall time, GPU), for runs OpenExpert did not start; returns the run\'s total', tags, params: RunRef, body: LogUsageSchema, response: { 200: RunUsageOut } },
      handler: async ({ actor, params, body }) => c.logUsage(actor, parse(RunRef, params).runId, parse(LogUsageSchema, body)),
    },
    {
      method: 'GET', path: '/runs/:runId/usage',
      schema: { summary: 'A run\'s usage and its cost by the price table', tags, params: RunRef, response: { 200: RunUsageOut } },
      handler: async ({ actor, params }) => c.runUsage(actor, parse(RunRef, params).runId),
    },
    {
      method: 'GET', path: '/experiments/:id/cost',
      schema: { summary: 'An experiment\'s compute cost: the sum over its runs, and per run', tags, params: ExperimentRef, response: { 200: ExperimentCostOut } },
      handler: async ({ actor, params }) => c.experimentCost(actor, parse(ExperimentRef, params).id),
    },
    {
      method: 'GET', path: '/sweeps/:id/cost',
      schema: { summary: 'A sweep\'s compute cost: the sum over its trials', tags, params: SweepRef, response: { 200: CostTotalsOut } },
      handler: async ({ actor, params }) => c.sweepCost(actor, parse(SweepRef, params).id),
    },
    {
      method: 'GET', path: '/compute/prices',
      schema: { summary: 'The price table usage is costed by (OPENEXPERT_COMPUTE_PRICES)', tags, response: { 200: PriceTableOut } },
      handler: async ({ actor }) => c.priceTable(actor),
    },
    {
      method: 'POST', path: '/compute/budgets',
      schema: { summary: 'Create a compute budget for an experiment, a run tag or a user, per UTC day or month', tags, body: CreateComputeBudgetSchema, response: { 201: ComputeBudgetStatusOut } },
      handler: async ({ actor, body, reply }) => {
        const status = await c.createBudget(actor, parse(CreateComputeBudgetSchema, body));
        void reply.status(201);
        return budgetStatusToWire(status);
      },
    },
    {
      method: 'GET', path: '/compute/budgets',
      schema: { summary: 'The compute budgets the caller may see, with this period\'s spending', tags, response: { 200: items(ComputeBudgetStatusOut) } },
      handler: async ({ actor }) => ({ items: (await c.listBudgets(actor)).map(budgetStatusToWire) }),
    },
    {
      method: 'GET', path: '/compute/budgets/:budget',
      schema: { summary: 'A compute budget (by id or name) with its alerts', tags, params: BudgetRef, response: { 200: z.object({ status: ComputeBudgetStatusOut, alerts: z.array(ComputeBudgetAlertOut) }) } },
      handler: async ({ actor, params }) => {
        const { status, alerts } = await c.getBudget(actor, parse(BudgetRef, params).budget);
        return { status: budgetStatusToWire(status), alerts };
      },
    },
    {
      method: 'DELETE', path: '/compute/budgets/:budget',
      schema: { summary: 'Delete a compute budget and its alerts', tags, params: BudgetRef, response: { 200: z.object({}) } },
      handler: async ({ actor, params }) => {
        await c.deleteBudget(actor, parse(BudgetRef, params).budget);
        return {};
      },
    },
  ];
}
