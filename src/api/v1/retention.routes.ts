import { z } from 'zod';
import { SCOPE_KINDS, type DeletionJob, type RetentionPolicy } from '../../domain/retention/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { described, Empty } from './replies.js';

/** Retention policies, and deletions for good that leave a record in the audit chain. */
const tags = ['retention'];
const Hex = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 hex characters');
const Id = z.object({ id: Hex });
const SetPolicy = z.object({
  scope: z.object({ kind: z.enum(SCOPE_KINDS), id: z.string().min(1).max(256).optional() }).strict(),
  maxAgeDays: z.number().int().min(1).max(36_500),
}).strict();
const Apply = z.object({ dryRun: z.boolean().default(false) }).strict();
const Reason = z.string().min(1).max(1000).default('deleted on request');
const Purge = z.object({ runIds: z.array(Hex).min(1).max(10_000), reason: Reason }).strict();
const PurgeTraces = z.object({ traceIds: z.array(Hex).min(1).max(10_000), reason: Reason }).strict();

const PolicyOut = described<RetentionPolicy>()(z.object({
  id: z.string(), scope: z.object({ kind: z.enum(SCOPE_KINDS), id: z.string() }), maxAgeDays: z.number(), createdBy: z.string(), createdAt: z.number(),
}));
const JobOut = described<DeletionJob>()(z.object({
  id: z.string(), requestedBy: z.string(), reason: z.string(), state: z.enum(['running', 'done', 'failed']), total: z.number(), deleted: z.number(),
  counts: z.object({ rows: z.record(z.string(), z.number()), artifactFiles: z.number(), artifactBytes: z.number() }),
  error: z.string().nullable(), createdAt: z.number(), finishedAt: z.number().nullable(),
}));
const DueRun = z.object({ runId: z.string(), experimentId: z.string(), policy: z.string() });
const DueTraces = z.object({ policy: z.string(), project: z.string().describe('a project, or * for every project'), traceName: z.string().nullable().describe('the trace type, or null for every type'), olderThan: z.number(), traces: z.number() });

export function retentionRoutesV1(s: Services): Route[] {
  const r = s.retention;
  return [
    {
      method: 'POST', path: '/retention/policies',
      schema: {
        summary: 'Set the retention of a scope (server, experiment by id or name, project; or traces: <project>, *, <project>/<trace type>): runs or LLM traces older than maxAgeDays are deleted for good',
        tags, body: SetPolicy, response: { 200: PolicyOut },
      },
      handler: ({ actor, body }) => r.setPolicy(actor, parse(SetPolicy, body)),
    },
    {
      method: 'GET', path: '/retention/policies',
      schema: { summary: 'List retention policies', tags, response: { 200: z.object({ items: z.array(PolicyOut) }) } },
      handler: async ({ actor }) => ({ items: await r.listPolicies(actor) }),
    },
    {
      method: 'DELETE', path: '/retention/policies/:id',
      schema: { summary: 'Remove a retention policy', tags, params: Id, response: { 200: Empty } },
      handler: async ({ actor, params }) => {
        await r.deletePolicy(actor, parse(Id, params).id);
        return {};
      },
    },
    {
      method: 'POST', path: '/retention/apply',
      schema: {
        summary: 'Apply the policies now: a background deletion job (202), or with dryRun (or nothing due) the runs and traces it would delete', tags, body: Apply,
        response: { 200: z.object({ runs: z.array(DueRun), traces: z.array(DueTraces) }), 202: z.object({ job: JobOut, runs: z.array(DueRun), traces: z.array(DueTraces) }) },
      },
      handler: async ({ actor, body, reply }) => {
        const out = await r.apply(actor, parse(Apply, body ?? {}));
        if (out.job) void reply.status(202);
        return out;
      },
    },
    {
      method: 'POST', path: '/retention/purge',
      schema: { summary: 'Delete runs for good (MANAGE on their experiments): rows and artifacts, in a background job', tags, body: Purge, response: { 202: JobOut } },
      handler: async ({ actor, body, reply }) => {
        const input = parse(Purge, body);
        const runs = await Promise.all(input.runIds.map(async (runId) => ({ runId, experimentId: (await s.runs.get(actor, runId)).info.experimentId })));
        const job = await r.purgeRuns(actor, runs, input.reason);
        void reply.status(202);
        return job;
      },
    },
    {
      method: 'POST', path: '/retention/purge-traces',
      schema: { summary: 'Delete LLM traces and their spans for good (MANAGE on their projects), in a background job', tags, body: PurgeTraces, response: { 202: JobOut } },
      handler: async ({ actor, body, reply }) => {
        const input = parse(PurgeTraces, body);
        const job = await r.purgeTraces(actor, input.traceIds, input.reason);
        void reply.status(202);
        return job;
      },
    },
    {
      method: 'GET', path: '/retention/jobs/:id',
      schema: { summary: 'A deletion job: its progress, counts and outcome', tags, params: Id, response: { 200: JobOut } },
      handler: ({ actor, params }) => r.job(actor, parse(Id, params).id),
    },
  ];
}
