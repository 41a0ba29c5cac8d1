import { z } from 'zod';
import type { Services } from '../services.js';
import { parse } from '../parse.js';
import { idempotencyKeyOf, sent, type Route } from '../surface.js';
import { Int64, KeyValue, QueryInt, QueryList } from '../wire-types.js';
import { Metric, metricOf, readLogBatch, RunRef } from './log-batch.js';
import { experimentToWire, metricPageJson, metricWithRunToWire, pointsJsonPage, runInfoToWire, runToWire } from './wire.js';
import { invalid } from '../../core/errors.js';
import { encodePageToken } from '../../core/paging.js';
import { RUN_STATUSES } from '../../domain/tracking/types.js';

/** MLflow's tracking endpoints, field names as in its REST API. GET requests carry both run_id and run_uuid. */
const ViewType = z.enum(['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']);
const runIdOf = (r: z.output<typeof RunRef>): string => {
  const id = r.run_id ?? r.run_uuid;
  if (!id) throw invalid("Missing value for required parameter 'run_id'");
  return id;
};

const CreateExperiment = z.object({ name: z.string(), artifact_location: z.string().optional(), tags: z.array(KeyValue).optional() });
const ExperimentRef = z.object({ experiment_id: z.string().min(1) });
const GetByName = z.object({ experiment_name: z.string().min(1) });
const SearchExperiments = z.object({
  max_results: Int64.optional(),
  page_token: z.string().optional(),
  filter: z.string().optional(),
  order_by: z.array(z.string()).optional(),
  view_type: ViewType.optional(),
});
const SearchExperimentsQuery = SearchExperiments.extend({ max_results: QueryInt.optional(), order_by: QueryList.optional() });
const UpdateExperiment = z.object({ experiment_id: z.string().min(1), new_name: z.string() });
const ExperimentTag = z.object({ experiment_id: z.string().min(1), key: z.string(), value: z.string() });
const ExperimentTagRef = z.object({ experiment_id: z.string().min(1), key: z.string() });

const CreateRun = z.object({
  experiment_id: z.string().min(1).default('0'),
  user_id: z.string().optional(),
  run_name: z.string().optional(),
  start_time: Int64.optional(),
  tags: z.array(KeyValue).optional(),
});
const UpdateRun = RunRef.extend({ status: z.enum(RUN_STATUSES).optional(), end_time: Int64.optional(), run_name: z.string().optional() });
const LogMetric = RunRef.extend(Metric.shape);
const LogParam = RunRef.extend({ key: z.string(), value: z.string() });
const SetTag = RunRef.extend({ key: z.string(), value: z.string() });
const DeleteTag = RunRef.extend({ key: z.string() });
const Dataset = z.object({
  name: z.string().min(1),
  digest: z.string().min(1).max(64),
  source_type: z.string().min(1).max(36),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
});
const LogInputs = RunRef.extend({
  datasets: z.array(z.object({ tags: z.array(KeyValue).optional(), dataset: Dataset })).optional(),
  models: z.array(z.object({ model_id: z.string().min(1) })).optional(),
});
const SearchRuns = z.object({
  experiment_ids: z.array(z.string()).optional(),
  filter: z.string().optional(),
  run_view_type: ViewType.optional(),
  max_results: Int64.optional(),
  order_by: z.array(z.string()).optional(),
  page_token: z.string().optional(),
});
const SearchDatasets = z.object({ experiment_ids: z.array(z.string()).optional() });
const GetHistory = RunRef.extend({ metric_key: z.string(), max_results: QueryInt.optional(), page_token: z.string().optional() });
const Bulk = z.object({ run_id: QueryList.optional(), metric_key: z.string().optional(), max_results: QueryInt.optional() });
const BulkInterval = z.object({
  run_ids: QueryList,
  metric_key: z.string(),
  start_step: QueryInt.optional(),
  end_step: QueryInt.optional(),
  max_results: QueryInt.optional(),
});

const page = <T>(name: string, items: readonly T[], nextOffset: number | undefined) => ({
  ...(items.length > 0 ? { [name]: items } : {}),
  ...(nextOffset !== undefined ? { next_page_token: encodePageToken(nextOffset) } : {}),
});

export function trackingRoutes(s: Services): Route[] {
  const searchExperiments = async (actor: Parameters<typeof s.experiments.search>[0], q: z.output<typeof SearchExperiments>) => {
    const result = await s.experiments.search(actor, {
      filter: q.filter, orderBy: q.order_by, viewType: q.view_type, maxResults: q.max_results, pageToken: q.page_token,
    });
    return page('experiments', result.items.map(experimentToWire), result.nextOffset);
  };

  return [
    {
      method: 'POST', path: '/experiments/create',
      handler: async ({ actor, body }) => {
        const b = parse(CreateExperiment, body);
        return { experiment_id: await s.experiments.create(actor, { name: b.name, artifactLocation: b.artifact_location, tags: b.tags }) };
      },
    },
    {
      method: 'GET', path: '/experiments/get',
      handler: async ({ actor, query }) => ({ experiment: experimentToWire(await s.experiments.get(actor, parse(ExperimentRef, query).experiment_id)) }),
    },
    {
      method: 'GET', path: '/experiments/get-by-name',
      handler: async ({ actor, query }) => ({
        experiment: experimentToWire(await s.experiments.getByName(actor, parse(GetByName, query).experiment_name)),
      }),
    },
    { method: 'POST', path: '/experiments/search', handler: ({ actor, body }) => searchExperiments(actor, parse(SearchExperiments, body)) },
    { method: 'GET', path: '/experiments/search', handler: ({ actor, query }) => searchExperiments(actor, parse(SearchExperimentsQuery, query)) },
    {
      method: 'POST', path: '/experiments/update',
      handler: async ({ actor, body }) => {
        const b = parse(UpdateExperiment, body);
        await s.experiments.rename(actor, b.experiment_id, b.new_name);
        return {};
      },
    },
    {
      method: 'POST', path: '/experiments/delete',
      handler: async ({ actor, body }) => { await s.experiments.delete(actor, parse(ExperimentRef, body).experiment_id); return {}; },
    },
    {
      method: 'POST', path: '/experiments/restore',
      handler: async ({ actor, body }) => { await s.experiments.restore(actor, parse(ExperimentRef, body).experiment_id); return {}; },
    },
    {
      method: 'POST', path: '/experiments/set-experiment-tag',
      handler: async ({ actor, body }) => {
        const b = parse(ExperimentTag, body);
        await s.experiments.setTag(actor, b.experiment_id, { key: b.key, value: b.value });
        return {};
      },
    },
    {
      method: ['POST', 'DELETE'], path: '/experiments/delete-experiment-tag',
      handler: async ({ actor, body }) => {
        const b = parse(ExperimentTagRef, body);
        await s.experiments.deleteTag(actor, b.experiment_id, b.key);
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/create',
      handler: async ({ actor, body, headers }) => {
        const b = parse(CreateRun, body);
        const info = await s.runs.create(actor, {
          experimentId: b.experiment_id, userId: b.user_id, runName: b.run_name, startTime: b.start_time, tags: b.tags,
          idempotencyKey: idempotencyKeyOf(headers),
        });
        return { run: runToWire(await s.runs.get(actor, info.runId)) };
      },
    },
    {
      method: 'POST', path: '/runs/update',
      handler: async ({ actor, body }) => {
        const b = parse(UpdateRun, body);
        const info = await s.runs.update(actor, runIdOf(b), { status: b.status, endTime: b.end_time, runName: b.run_name });
        return { run_info: runInfoToWire(info) };
      },
    },
    {
      method: 'POST', path: '/runs/delete',
      handler: async ({ actor, body }) => { await s.runs.delete(actor, runIdOf(parse(RunRef, body))); return {}; },
    },
    {
      method: 'POST', path: '/runs/restore',
      handler: async ({ actor, body }) => { await s.runs.restore(actor, runIdOf(parse(RunRef, body))); return {}; },
    },
    {
      method: 'GET', path: '/runs/get',
      handler: async ({ actor, query }) => ({ run: runToWire(await s.runs.get(actor, runIdOf(parse(RunRef, query)))) }),
    },
    {
      method: 'POST', path: '/runs/log-metric',
      handler: async ({ actor, body }) => {
        const b = parse(LogMetric, body);
        await s.runs.logMetric(actor, runIdOf(b), metricOf(b));
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/log-parameter',
      handler: async ({ actor, body }) => {
        const b = parse(LogParam, body);
        await s.runs.logParam(actor, runIdOf(b), { key: b.key, value: b.value });
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/set-tag',
      handler: async ({ actor, body }) => {
        const b = parse(SetTag, body);
        await s.runs.setTag(actor, runIdOf(b), { key: b.key, value: b.value });
        return {};
      },
    },
    {
      method: ['POST', 'DELETE'], path: '/runs/delete-tag',
      handler: async ({ actor, body }) => {
        const b = parse(DeleteTag, body);
        await s.runs.deleteTag(actor, runIdOf(b), b.key);
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/log-batch',
      handler: async ({ actor, body, headers }) => {
        const b = readLogBatch(body);
        await s.runs.logBatch(actor, runIdOf(b), {
          metrics: (b.metrics ?? []).map(metricOf),
          params: b.params ?? [],
          tags: b.tags ?? [],
        }, idempotencyKeyOf(headers));
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/log-inputs',
      handler: async ({ actor, body }) => {
        const b = parse(LogInputs, body);
        await s.runs.logInputs(actor, runIdOf(b), (b.datasets ?? []).map((d) => ({
          tags: d.tags ?? [],
          dataset: {
            name: d.dataset.name, digest: d.dataset.digest, sourceType: d.dataset.source_type, source: d.dataset.source,
            ...(d.dataset.schema !== undefined ? { schema: d.dataset.schema } : {}),
            ...(d.dataset.profile !== undefined ? { profile: d.dataset.profile } : {}),
          },
        })), (b.models ?? []).map((m) => m.model_id));
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/search',
      handler: async ({ actor, body }) => {
        const b = parse(SearchRuns, body);
        const result = await s.runs.search(actor, {
          experimentIds: b.experiment_ids ?? [], filter: b.filter, orderBy: b.order_by, viewType: b.run_view_type,
          maxResults: b.max_results, pageToken: b.page_token,
        });
        return page('runs', result.items.map(runToWire), result.nextOffset);
      },
    },
    {
      method: 'POST', path: '/experiments/search-datasets',
      handler: async ({ actor, body }) => {
        const summaries = await s.runs.datasetSummaries(actor, parse(SearchDatasets, body).experiment_ids ?? []);
        if (summaries.length === 0) return {};
        return {
          dataset_summaries: summaries.map((d) => ({
            experiment_id: d.experimentId, name: d.name, digest: d.digest, ...(d.context !== undefined ? { context: d.context } : {}),
          })),
        };
      },
    },
    {
      method: 'GET', path: '/metrics/get-history',
      handler: async ({ actor, query, reply }) => {
        const q = parse(GetHistory, query);
        const { page, nextPageToken } = await s.runs.metricHistoryJson(actor, { runId: runIdOf(q), key: q.metric_key, maxResults: q.max_results, pageToken: q.page_token });
        const bytes = 'pointsJson' in page ? pointsJsonPage(page, nextPageToken) : metricPageJson(page.items, nextPageToken);
        return sent(reply.type('application/json').send(bytes));
      },
    },
    {
      method: 'GET', path: '/metrics/get-history-bulk',
      handler: async ({ actor, query }) => {
        const q = parse(Bulk, query);
        const points = await s.runs.metricHistoryBulk(actor, { runIds: q.run_id ?? [], key: q.metric_key, maxResults: q.max_results });
        // MLflow's handler answers a plain dict: `metrics` is there even when empty.
        return { metrics: points.map(metricWithRunToWire) };
      },
    },
    {
      method: 'GET', path: '/metrics/get-history-bulk-interval',
      handler: async ({ actor, query }) => {
        const q = parse(BulkInterval, query);
        const points = await s.runs.metricHistoryBulkInterval(actor, {
          runIds: q.run_ids, key: q.metric_key, startStep: q.start_step, endStep: q.end_step, maxResults: q.max_results,
        });
        return points.length > 0 ? { metrics: points.map(metricWithRunToWire) } : {};
      },
    },
  ];
}
