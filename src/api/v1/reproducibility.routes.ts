import { z } from 'zod';
import { CaptureSchema, PipelineRunSchema, ReproductionRequestSchema } from '../../domain/reproducibility/schemas.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';
import { HtmlReport, items } from './replies.js';
import { CaptureOut, PipelineRunOut, ReproductionOut } from './reproducibility.replies.js';

/** Captured runs, reproductions (evidence for the `reproduced` promotion check) and pipeline runs. */
const RunParam = z.object({ runId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a run id') });
const Id = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 hex characters') });
const ListReproductions = z.object({ sourceRunId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a run id') }).strict();
const ListPipelineRuns = z.object({ name: z.string().min(1).max(256).optional(), maxResults: QueryInt.pipe(z.number().int().min(1).max(1000)).optional() }).strict();

export function reproducibilityRoutesV1(s: Services): Route[] {
  const r = s.reproducibility;
  return [
    {
      method: 'PUT', path: '/runs/:runId/capture',
      schema: { summary: 'Store what `openexpert run` captured about a run (command, git, environment, inputs, seeds, hardware)', tags: ['reproducibility'], params: RunParam, body: CaptureSchema, response: { 200: CaptureOut } },
      handler: ({ actor, params, body }) => r.putCapture(actor, parse(RunParam, params).runId, parse(CaptureSchema, body)),
    },
    {
      method: 'GET', path: '/runs/:runId/capture',
      schema: { summary: 'A run\'s capture', tags: ['reproducibility'], params: RunParam, response: { 200: CaptureOut } },
      handler: ({ actor, params }) => r.getCapture(actor, parse(RunParam, params).runId),
    },
    {
      method: 'POST', path: '/reproductions',
      schema: { summary: 'Compare a rerun with its captured source run and store the result (evidence for the `reproduced` check)', body: ReproductionRequestSchema, response: { 201: ReproductionOut } },
      handler: async ({ actor, body, reply }) => {
        const reproduction = await r.recordReproduction(actor, parse(ReproductionRequestSchema, body));
        void reply.status(201);
        return reproduction;
      },
    },
    {
      method: 'GET', path: '/reproductions',
      schema: { summary: 'Reproductions of a source run', querystring: ListReproductions, response: { 200: items(ReproductionOut) } },
      handler: async ({ actor, query }) => ({ items: await r.listReproductions(actor, parse(ListReproductions, query).sourceRunId) }),
    },
    {
      method: 'GET', path: '/reproductions/:id',
      schema: { summary: 'A reproduction', params: Id, response: { 200: ReproductionOut } },
      handler: ({ actor, params }) => r.getReproduction(actor, parse(Id, params).id),
    },
    {
      method: 'GET', path: '/reproductions/:id/report.html',
      schema: { summary: 'A reproduction as an HTML report', params: Id, response: { 200: HtmlReport } },
      handler: async ({ actor, params, reply }) => sent(reply.header('content-type', 'text/html; charset=utf-8').send(await r.reportHtml(actor, parse(Id, params).id))),
    },
    {
      method: 'PUT', path: '/pipeline-runs/:id',
      schema: { summary: 'Store a pipeline run\'s state (written by `openexpert pipeline run` as steps finish)', params: Id, body: PipelineRunSchema, response: { 200: PipelineRunOut } },
      handler: ({ actor, params, body }) => r.putPipelineRun(actor, parse(Id, params).id, parse(PipelineRunSchema, body)),
    },
    {
      method: 'GET', path: '/pipeline-runs',
      schema: { summary: 'Pipeline runs, newest first', querystring: ListPipelineRuns, response: { 200: items(PipelineRunOut) } },
      handler: async ({ actor, query }) => ({ items: await r.listPipelineRuns(actor, parse(ListPipelineRuns, query)) }),
    },
    {
      method: 'GET', path: '/pipeline-runs/:id',
      schema: { summary: 'A pipeline run', params: Id, response: { 200: PipelineRunOut } },
      handler: ({ actor, params }) => r.getPipelineRun(actor, parse(Id, params).id),
    },
  ];
}
