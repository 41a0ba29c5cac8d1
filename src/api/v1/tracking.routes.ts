import { z } from 'zod';
import { encodePageToken } from '../../core/paging.js';
import { RUN_STATUSES, type Metric, type Run } from '../../domain/tracking/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { idempotencyKeyOf, type Route } from '../surface.js';
import { KeyValue, MetricValue, QueryInt, QueryList, metricValueToWire } from '../wire-types.js';

/** The native API: the domain's own camelCase shapes, REST-style paths, for the SDK and the web UI. */
const ViewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);
const Id = z.object({ id: z.string().min(1) });
const CreateExperiment = z.object({ name: z.string(), artifactLocation: z.string().optional(), tags: z.array(KeyValue).optional() });
const ListExperiments = z.object({
  filter: z.string().optional(), orderBy: QueryList.optional(), maxResults: QueryInt.optional(), pageToken: z.string().optional(), view: ViewType.optional(),
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
});
const History = z.object({ maxResults: QueryInt.optional(), pageToken: z.string().optional() });

const metricOut = (m: Metric) => ({ ...m, value: metricValueToWire(m.value) });
const runOut = (r: Run) => ({ ...r, data: { ...r.data, metrics: r.data.metrics.map(metricOut) } });
const pageOut = <T>(items: readonly T[], nextOffset: number | undefined) => ({
  items, ...(nextOffset !== undefined ? { nextPageToken: encodePageToken(nextOffset) } : {}),
});

export function trackingRoutesV1(s: Services): Route[] {
  return [
    {
      method: 'POST', path: '/experiments',
      handler: async ({ actor, body, reply }) => {
        const id = await s.experiments.create(actor, parse(CreateExperiment, body));
        void reply.status(201);
        return s.experiments.get(actor, id);
      },
    },
    {
      method: 'GET', path: '/experiments',
      handler: async ({ actor, query }) => {
        const q = parse(ListExperiments, query);
        const result = await s.experiments.search(actor, { ...q, viewType: q.view });
        return pageOut(result.items, result.nextOffset);
      },
    },
    { method: 'GET', path: '/experiments/:id', handler: ({ actor, params }) => s.experiments.get(actor, parse(Id, params).id) },
    {
      method: 'GET', path: '/experiments/by-name/:name',
      handler: ({ actor, params }) => s.experiments.getByName(actor, parse(z.object({ name: z.string().min(1) }), params).name),
    },
    {
      method: 'PATCH', path: '/experiments/:id',
      handler: async ({ actor, params, body }) => {
        const { id } = parse(Id, params);
        await s.experiments.rename(actor, id, parse(Rename, body).name);
        return s.experiments.get(actor, id);
      },
    },
    {
      method: 'DELETE', path: '/experiments/:id',
      handler: async ({ actor, params }) => { await s.experiments.delete(actor, parse(Id, params).id); return {}; },
    },
    {
      method: 'POST', path: '/experiments/:id/restore',
      handler: async ({ actor, params }) => { await s.experiments.restore(actor, parse(Id, params).id); return {}; },
    },
    {
      method: 'POST', path: '/runs',
      handler: async ({ actor, body, headers, reply }) => {
        const info = await s.runs.create(actor, { ...parse(CreateRun, body), idempotencyKey: idempotencyKeyOf(headers) });
        void reply.status(201);
        return runOut(await s.runs.get(actor, info.runId));
      },
    },
    { method: 'GET', path: '/runs/:id', handler: async ({ actor, params }) => runOut(await s.runs.get(actor, parse(Id, params).id)) },
    {
      method: 'PATCH', path: '/runs/:id',
      handler: async ({ actor, params, body }) => {
        const { id } = parse(Id, params);
        await s.runs.update(actor, id, parse(UpdateRun, body));
        return runOut(await s.runs.get(actor, id));
      },
    },
    { method: 'DELETE', path: '/runs/:id', handler: async ({ actor, params }) => { await s.runs.delete(actor, parse(Id, params).id); return {}; } },
    {
      method: 'POST', path: '/runs/:id/restore',
      handler: async ({ actor, params }) => { await s.runs.restore(actor, parse(Id, params).id); return {}; },
    },
    {
      method: 'POST', path: '/runs/:id/batch',
      handler: async ({ actor, params, body, headers }) => {
        await s.runs.logBatch(actor, parse(Id, params).id, parse(Batch, body), idempotencyKeyOf(headers));
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/search',
      handler: async ({ actor, body }) => {
        const b = parse(SearchRuns, body);
        const result = await s.runs.search(actor, { ...b, viewType: b.view });
        return pageOut(result.items.map(runOut), result.nextOffset);
      },
    },
    {
      method: 'GET', path: '/runs/:id/metrics/:key/history',
      handler: async ({ actor, params, query }) => {
        const p = parse(z.object({ id: z.string().min(1), key: z.string().min(1) }), params);
        const result = await s.runs.metricHistory(actor, { runId: p.id, key: p.key, ...parse(History, query) });
        return pageOut(result.items.map(metricOut), result.nextOffset);
      },
    },
  ];
}
