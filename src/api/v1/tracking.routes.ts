import { z } from 'zod';
import { encodePageToken } from '../../core/paging.js';
import { RUN_STATUSES, type Metric, type Run } from '../../domain/tracking/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { idempotencyKeyOf, type Route } from '../surface.js';
import { KeyValue, MetricValue, QueryInt, QueryList, metricValueToWire } from '../wire-types.js';
import { Empty, page } from './replies.js';
import { ExperimentOut, MetricOut, RunOut } from './tracking.replies.js';
import { ProjectName, ProjectQuery } from './projects.routes.js';

/** The native API: the domain's own camelCase shapes, REST-style paths, for the SDK and the web UI. */
const ViewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);
const Id = z.object({ id: z.string().min(1) });
const CreateExperiment = z.object({ name: z.string(), artifactLocation: z.string().optional(), tags: z.array(KeyValue).optional(), project: ProjectName.optional() });
const ListExperiments = z.object({
  filter: z.string().optional(), orderBy: QueryList.optional(), maxResults: QueryInt.optional(), pageToken: z.string().optional(), view: ViewType.optional(), ...ProjectQuery,
});
const Rename = z.object({ name: z.string() });
const CreateRun = z.object({
  experimentId: z.string().min(1), runName: z.string().optional(), startTime: z.number().int().optional(),
  userId: z.string().optional(), tags: z.array(KeyValue).optional(),
});
const UpdateRun = z.object({ status: z.enum(RUN_STATUSES).optional(), endTime: z.number().int().optional(), runName: z.string().optional() });
const Batch = z.object({
  metrics: z.array(z.object({ key: z.string(), value: MetricValue, timestamp: z.number().int(), step: z.number().int().default(0) })).default([]),
  params: z.array(KeyValue).default([]),
  tags: z.array(KeyValue).default([]),
});
const SearchRuns = z.object({
  experimentIds: z.array(z.string()).min(1), filter: z.string().optional(), orderBy: z.array(z.string()).optional(),
  maxResults: z.number().int().optional(), pageToken: z.string().optional(), view: ViewType.optional(),
  includeCount: z.boolean().optional().describe('also answer totalCount, the number of runs the filter matches in all'),
});
const ViewParams = z.object({ id: z.string().min(1), name: z.string().min(1).max(200) });
const SaveView = z.object({ query: z.string().max(8000).describe('the runs page query string: filter, order, cols, group, hide, panel parameters') });
const SavedViewOut = z.object({ name: z.string(), query: z.string(), createdBy: z.string(), updatedAt: z.number().int() }).meta({ id: 'SavedView' });
const KeyParams = z.object({ id: z.string().min(1), key: z.string().min(1) });
const NameParam = z.object({ name: z.string().min(1) });
const History = z.object({ maxResults: QueryInt.optional(), pageToken: z.string().optional() });
const SampledHistories = z.object({
  runIds: z.array(z.string().min(1)).min(1).max(100).describe('at most 100 runs, as MLflow\'s get-history-bulk-interval'),
  keys: z.array(z.string().min(1)).min(1).max(20).describe('the metrics, at most 20'),
  maxResults: z.number().int().min(1).max(2500).optional().describe('steps sampled per run and metric (default 320, at most 2,500)'),
});
const SampledSeriesOut = z.object({
  runId: z.string(), key: z.string(),
  steps: z.array(z.number().int()), timestamps: z.array(z.number().int()),
  values: z.array(z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])])),
}).meta({ id: 'SampledSeries' });

export const metricOut = (m: Metric) => ({ ...m, value: metricValueToWire(m.value) });
export const runOut = (r: Run) => ({ ...r, data: { ...r.data, metrics: r.data.metrics.map(metricOut) } });
const pageOut = <T>(items: readonly T[], nextOffset: number | undefined) => ({
  items, ...(nextOffset !== undefined ? { nextPageToken: encodePageToken(nextOffset) } : {}),
});

export function trackingRoutesV1(s: Services): Route[] {
  return [
    {
      method: 'POST', path: '/experiments',
      schema: { summary: 'Create an experiment', body: CreateExperiment, response: { 201: ExperimentOut } },
      handler: async ({ actor, body, reply }) => {
        const id = await s.experiments.create(actor, parse(CreateExperiment, body));
        void reply.status(201);
        return s.experiments.get(actor, id);
      },
    },
    {
      method: 'GET', path: '/experiments',
      schema: { summary: 'Search experiments (MLflow filter grammar on name and tags)', querystring: ListExperiments, response: { 200: page(ExperimentOut) } },
      handler: async ({ actor, query }) => {
        const q = parse(ListExperiments, query);
        const result = await s.experiments.search(actor, { ...q, viewType: q.view });
        return pageOut(result.items, result.nextOffset);
      },
    },
    { method: 'GET', path: '/experiments/:id', schema: { summary: 'Get an experiment', params: Id, response: { 200: ExperimentOut } }, handler: ({ actor, params }) => s.experiments.get(actor, parse(Id, params).id) },
    {
      method: 'GET', path: '/experiments/by-name/:name',
      schema: { summary: 'Get an experiment by name', params: NameParam, response: { 200: ExperimentOut } },
      handler: ({ actor, params }) => s.experiments.getByName(actor, parse(NameParam, params).name),
    },
    {
      method: 'PATCH', path: '/experiments/:id',
      schema: { summary: 'Rename an experiment', params: Id, body: Rename, response: { 200: ExperimentOut } },
      handler: async ({ actor, params, body }) => {
        const { id } = parse(Id, params);
        await s.experiments.rename(actor, id, parse(Rename, body).name);
        return s.experiments.get(actor, id);
      },
    },
    {
      method: 'DELETE', path: '/experiments/:id',
      schema: { summary: 'Delete an experiment (restorable)', params: Id, response: { 200: Empty } },
      handler: async ({ actor, params }) => { await s.experiments.delete(actor, parse(Id, params).id); return {}; },
    },
    {
      method: 'POST', path: '/experiments/:id/restore',
      schema: { summary: 'Restore a deleted experiment', params: Id, response: { 200: Empty } },
      handler: async ({ actor, params }) => { await s.experiments.restore(actor, parse(Id, params).id); return {}; },
    },
    {
      method: 'GET', path: '/experiments/:id/views',
      schema: { summary: 'Saved views of an experiment\'s runs (table and chart workspace), by name', params: Id, response: { 200: z.object({ items: z.array(SavedViewOut) }) } },
      handler: async ({ actor, params }) => ({ items: await s.experiments.listViews(actor, parse(Id, params).id) }),
    },
    {
      method: 'PUT', path: '/experiments/:id/views/:name',
      schema: { summary: 'Save a view of an experiment\'s runs under a name (replacing one of that name)', params: ViewParams, body: SaveView, response: { 200: SavedViewOut } },
      handler: async ({ actor, params, body }) => {
        const p = parse(ViewParams, params);
        return s.experiments.saveView(actor, p.id, { name: p.name, query: parse(SaveView, body).query });
      },
    },
    {
      method: 'DELETE', path: '/experiments/:id/views/:name',
      schema: { summary: 'Delete a saved view', params: ViewParams, response: { 200: Empty } },
      handler: async ({ actor, params }) => {
        const p = parse(ViewParams, params);
        await s.experiments.deleteView(actor, p.id, p.name);
        return {};
      },
    },
    {
      method: 'POST', path: '/runs',
      schema: { summary: 'Create a run (an Idempotency-Key header makes retries create it once)', body: CreateRun, response: { 201: RunOut } },
      handler: async ({ actor, body, headers, reply }) => {
        const info = await s.runs.create(actor, { ...parse(CreateRun, body), idempotencyKey: idempotencyKeyOf(headers) });
        void reply.status(201);
        return runOut(await s.runs.get(actor, info.runId));
      },
    },
    { method: 'GET', path: '/runs/:id', schema: { summary: 'Get a run', params: Id, response: { 200: RunOut } }, handler: async ({ actor, params }) => runOut(await s.runs.get(actor, parse(Id, params).id)) },
    {
      method: 'PATCH', path: '/runs/:id',
      schema: { summary: 'Update a run (status, end time, name)', params: Id, body: UpdateRun, response: { 200: RunOut } },
      handler: async ({ actor, params, body }) => {
        const { id } = parse(Id, params);
        await s.runs.update(actor, id, parse(UpdateRun, body));
        return runOut(await s.runs.get(actor, id));
      },
    },
    { method: 'DELETE', path: '/runs/:id', schema: { summary: 'Delete a run (restorable)', params: Id, response: { 200: Empty } }, handler: async ({ actor, params }) => { await s.runs.delete(actor, parse(Id, params).id); return {}; } },
    {
      method: 'POST', path: '/runs/:id/restore',
      schema: { summary: 'Restore a deleted run', params: Id, response: { 200: Empty } },
      handler: async ({ actor, params }) => { await s.runs.restore(actor, parse(Id, params).id); return {}; },
    },
    {
      method: 'POST', path: '/runs/:id/batch',
      schema: { summary: 'Log metrics, params and tags in one transaction (an Idempotency-Key header makes retries apply once)', params: Id, body: Batch, response: { 200: Empty } },
      handler: async ({ actor, params, body, headers }) => {
        await s.runs.logBatch(actor, parse(Id, params).id, parse(Batch, body), idempotencyKeyOf(headers));
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/search',
      schema: { summary: 'Search runs (MLflow filter and order_by grammar)', body: SearchRuns, response: { 200: page(RunOut).extend({ totalCount: z.number().int().optional() }) } },
      handler: async ({ actor, body }) => {
        const b = parse(SearchRuns, body);
        const result = await s.runs.search(actor, { ...b, viewType: b.view });
        return { ...pageOut(result.items.map(runOut), result.nextOffset), ...(result.totalCount !== undefined ? { totalCount: result.totalCount } : {}) };
      },
    },
    {
      method: 'POST', path: '/runs/metric-histories',
      schema: {
        summary: 'Sampled histories of several metrics of up to 100 runs, as columns (MLflow\'s bulk-interval step sampling)',
        body: SampledHistories, response: { 200: z.object({ series: z.array(SampledSeriesOut) }) },
      },
      handler: async ({ actor, body }) => {
        const b = parse(SampledHistories, body);
        const answers = await s.runs.sampledHistories(actor, b);
        const series: z.infer<typeof SampledSeriesOut>[] = [];
        for (const { key, points } of answers) {
          // Points arrive run by run in step order: one column set per run.
          let current: z.infer<typeof SampledSeriesOut> | undefined;
          for (const p of points) {
            if (current?.runId !== p.runId) {
              current = { runId: p.runId, key, steps: [], timestamps: [], values: [] };
              series.push(current);
            }
            current.steps.push(p.step);
            current.timestamps.push(p.timestamp);
            current.values.push(metricValueToWire(p.value));
          }
        }
        return { series };
      },
    },
    {
      method: 'GET', path: '/runs/:id/metrics/:key/history',
      schema: { summary: 'A metric\'s history, paged', params: KeyParams, querystring: History, response: { 200: page(MetricOut) } },
      handler: async ({ actor, params, query }) => {
        const p = parse(KeyParams, params);
        const result = await s.runs.metricHistory(actor, { runId: p.id, key: p.key, ...parse(History, query) });
        return { items: result.items.map(metricOut), ...(result.nextPageToken !== undefined ? { nextPageToken: result.nextPageToken } : {}) };
      },
    },
  ];
}
