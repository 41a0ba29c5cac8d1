import { z } from 'zod';
import { CaptureSchema, PipelineRunSchema, ReproductionRequestSchema } from '../../domain/reproducibility/schemas.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';

/** Captured runs, reproductions (evidence for the `reproduced` promotion check) and pipeline runs. */
const RunParam = z.object({ runId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a run id') });
const Id = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 hex characters') });
const ListReproductions = z.object({ sourceRunId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a run id') }).strict();
const ListPipelineRuns = z.object({ name: z.string().min(1).max(256).optional(), maxResults: QueryInt.pipe(z.number().int().min(1).max(1000)).optional() }).strict();

export function reproducibilityRoutesV1(s: Services): Route[] {
  const r = s.reproducibility;
  return [
    { method: 'PUT', path: '/runs/:runId/capture', handler: ({ actor, params, body }) => r.putCapture(actor, parse(RunParam, params).runId, parse(CaptureSchema, body)) },
    { method: 'GET', path: '/runs/:runId/capture', handler: ({ actor, params }) => r.getCapture(actor, parse(RunParam, params).runId) },
    {
      method: 'POST', path: '/reproductions',
      handler: async ({ actor, body, reply }) => {
        const reproduction = await r.recordReproduction(actor, parse(ReproductionRequestSchema, body));
        void reply.status(201);
        return reproduction;
      },
    },
    { method: 'GET', path: '/reproductions', handler: async ({ actor, query }) => ({ items: await r.listReproductions(actor, parse(ListReproductions, query).sourceRunId) }) },
    { method: 'GET', path: '/reproductions/:id', handler: ({ actor, params }) => r.getReproduction(actor, parse(Id, params).id) },
    {
      method: 'GET', path: '/reproductions/:id/report.html',
      handler: async ({ actor, params, reply }) => sent(reply.header('content-type', 'text/html; charset=utf-8').send(await r.reportHtml(actor, parse(Id, params).id))),
    },
    { method: 'PUT', path: '/pipeline-runs/:id', handler: ({ actor, params, body }) => r.putPipelineRun(actor, parse(Id, params).id, parse(PipelineRunSchema, body)) },
    { method: 'GET', path: '/pipeline-runs', handler: async ({ actor, query }) => ({ items: await r.listPipelineRuns(actor, parse(ListPipelineRuns, query)) }) },
    { method: 'GET', path: '/pipeline-runs/:id', handler: ({ actor, params }) => r.getPipelineRun(actor, parse(Id, params).id) },
  ];
}
