import { z } from 'zod';
import { invalid } from '../../core/errors.js';
import { decodePageToken, encodePageToken } from '../../core/paging.js';
import { CardFieldsSchema, CompareRequestSchema, EvaluateRequestSchema } from '../../domain/evaluation/evaluation.service.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';
import { ComparisonOut, EvaluationOut, EvaluationSummaryOut, ModelCardOut } from './evaluation.replies.js';
import { Empty, HtmlReport, items, media, page } from './replies.js';

/**
 * Evaluations, model comparisons and model cards. Request bodies are validated by the service's own
 * schemas (the evaluation spec is shared with the CLI); paths and queries here.
 */
const Id = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'must be an evaluation id') });
const VersionParam = z.object({ name: z.string().min(1), version: z.string().regex(/^\d{1,9}$/, 'must be a version number').transform(Number) });
const ListEvaluations = z.object({
  runId: z.string().optional(),
  model: z.string().min(1).optional(),
  version: QueryInt.optional(),
  dataset: z.string().min(1).optional(),
  maxResults: QueryInt.optional(),
  pageToken: z.string().optional(),
}).strict();
const ListComparisons = z.object({ model: z.string().min(1).optional(), version: QueryInt.optional(), baselineVersion: QueryInt.optional(), maxResults: QueryInt.optional() }).strict();
const ModelCardFormats = media({ 'application/json': ModelCardOut, 'text/markdown': z.string(), 'text/html': z.string() }, 'the card in the format asked for');
const CardQuery = z.object({ format: z.enum(['json', 'markdown', 'html']).default('json') }).strict();

export function evaluationRoutesV1(s: Services): Route[] {
  const e = s.evaluation;
  return [
    {
      method: 'POST', path: '/evaluations',
      schema: { summary: 'Evaluate predictions (classification, regression, ranking) with slices, fairness and bootstrap intervals; logged to a run when one is given', body: EvaluateRequestSchema, response: { 201: EvaluationOut } },
      handler: async ({ actor, body, reply }) => {
        const evaluation = await e.evaluate(actor, body);
        void reply.status(201);
        return evaluation;
      },
    },
    {
      method: 'GET', path: '/evaluations',
      schema: { summary: 'Evaluations, newest first, without their full results', querystring: ListEvaluations, response: { 200: page(EvaluationSummaryOut) } },
      handler: async ({ actor, query }) => {
        const q = parse(ListEvaluations, query);
        if (q.version !== undefined && !q.model) throw invalid("Invalid value for parameter 'version': give 'model' with it");
        const page = await e.list(actor, {
          ...(q.runId ? { runId: q.runId } : {}),
          ...(q.model ? { modelName: q.model } : {}),
          ...(q.version !== undefined ? { modelVersion: q.version } : {}),
          ...(q.dataset ? { dataset: q.dataset } : {}),
          ...(q.maxResults !== undefined ? { maxResults: q.maxResults } : {}),
          offset: decodePageToken(q.pageToken, 'pageToken'),
        });
        return { items: page.items, ...(page.nextOffset !== undefined ? { nextPageToken: encodePageToken(page.nextOffset) } : {}) };
      },
    },
    {
      method: 'GET', path: '/evaluations/:id',
      schema: { summary: 'An evaluation with its full result', params: Id, response: { 200: EvaluationOut } },
      handler: ({ actor, params }) => e.get(actor, parse(Id, params).id),
    },
    {
      method: 'GET', path: '/evaluations/:id/report.html',
      schema: { summary: 'An evaluation as an HTML report', params: Id, response: { 200: HtmlReport } },
      handler: async ({ actor, params, reply }) => sent(reply.header('content-type', 'text/html; charset=utf-8').send(await e.reportHtml(actor, parse(Id, params).id))),
    },
    {
      method: 'DELETE', path: '/evaluations/:id',
      schema: { summary: 'Delete an evaluation', params: Id, response: { 200: Empty } },
      handler: async ({ actor, params }) => {
        await e.delete(actor, parse(Id, params).id);
        return {};
      },
    },
    {
      method: 'POST', path: '/comparisons',
      schema: { summary: 'Compare two models on the same rows (paired bootstrap deltas, McNemar)', body: CompareRequestSchema, response: { 201: ComparisonOut } },
      handler: async ({ actor, body, reply }) => {
        const comparison = await e.compare(actor, body);
        void reply.status(201);
        return comparison;
      },
    },
    {
      method: 'GET', path: '/comparisons',
      schema: { summary: 'Comparisons, newest first', querystring: ListComparisons, response: { 200: items(ComparisonOut) } },
      handler: async ({ actor, query }) => {
        const q = parse(ListComparisons, query);
        const ref = (version: number | undefined) => (q.model && version !== undefined ? { name: q.model, version } : undefined);
        const candidate = ref(q.version);
        const baseline = ref(q.baselineVersion);
        return { items: await e.listComparisons(actor, { ...(candidate ? { candidate } : {}), ...(baseline ? { baseline } : {}), ...(q.maxResults !== undefined ? { maxResults: q.maxResults } : {}) }) };
      },
    },
    {
      method: 'GET', path: '/comparisons/:id',
      schema: { summary: 'A comparison', params: Id, response: { 200: ComparisonOut } },
      handler: ({ actor, params }) => e.getComparison(actor, parse(Id, params).id),
    },
    {
      method: 'GET', path: '/models/:name/versions/:version/card',
      schema: { summary: 'A model version\'s card, generated from the evidence held (JSON, markdown or HTML)', params: VersionParam, querystring: CardQuery, response: { 200: ModelCardFormats } },
      handler: async ({ actor, params, query, reply }) => {
        const { name, version } = parse(VersionParam, params);
        const { format } = parse(CardQuery, query);
        if (format === 'markdown') return sent(reply.header('content-type', 'text/markdown; charset=utf-8').send(await e.cardMarkdown(actor, name, version)));
        if (format === 'html') return sent(reply.header('content-type', 'text/html; charset=utf-8').send(await e.cardHtml(actor, name, version)));
        return (await e.card(actor, name, version)).card;
      },
    },
    {
      method: 'PATCH', path: '/models/:name/versions/:version/card',
      schema: { summary: 'Set the card\'s human-written sections (an empty string clears one)', params: VersionParam, body: CardFieldsSchema, response: { 200: ModelCardOut } },
      handler: async ({ actor, params, body }) => {
        const { name, version } = parse(VersionParam, params);
        return e.setCardFields(actor, name, version, body);
      },
    },
  ];
}
