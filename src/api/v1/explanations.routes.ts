import { z } from 'zod';
import { decodePageToken, encodePageToken } from '../../core/paging.js';
import { ExplainRequestSchema } from '../../domain/explain/explain.service.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';
import { ExplanationOut, ExplanationSummaryOut } from './explanations.replies.js';
import { page } from './replies.js';

/** Feature attributions of model versions: computed by running the model (USE), read with READ on the model. */
const tags = ['explanations'];
const Id = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'must be an explanation id') });
const List = z.object({
  model: z.string().min(1).max(256),
  version: QueryInt.optional(),
  maxResults: QueryInt.pipe(z.number().int().min(1).max(1000)).optional(),
  pageToken: z.string().optional(),
}).strict();

export function explanationRoutesV1(s: Services): Route[] {
  const x = s.explanations;
  return [
    {
      method: 'POST', path: '/explanations',
      schema: {
        summary: 'Explain a model version on data: permutation importance, Kernel SHAP, TreeSHAP (ONNX tree ensembles) and partial dependence; stored with the version',
        tags, body: ExplainRequestSchema, response: { 201: ExplanationOut },
      },
      handler: async ({ actor, body, reply }) => {
        const explanation = await x.explain(actor, parse(ExplainRequestSchema, body));
        void reply.status(201);
        return explanation;
      },
    },
    {
      method: 'GET', path: '/explanations',
      schema: { summary: "A model's explanations (of one version, or all), newest first, without their results", tags, querystring: List, response: { 200: page(ExplanationSummaryOut) } },
      handler: async ({ actor, query }) => {
        const q = parse(List, query);
        const result = await x.list(actor, {
          model: q.model, ...(q.version !== undefined ? { version: q.version } : {}), ...(q.maxResults !== undefined ? { maxResults: q.maxResults } : {}),
          offset: decodePageToken(q.pageToken, 'pageToken'),
        });
        return { items: result.items, ...(result.nextOffset !== undefined ? { nextPageToken: encodePageToken(result.nextOffset) } : {}) };
      },
    },
    {
      method: 'GET', path: '/explanations/:id',
      schema: { summary: 'One explanation with its full result', tags, params: Id, response: { 200: ExplanationOut } },
      handler: async ({ actor, params }) => x.get(actor, parse(Id, params).id),
    },
  ];
}
