import { z } from 'zod';
import { encodePageToken } from '../../core/paging.js';
import { LOGGED_MODEL_STATUSES } from '../../domain/tracking/logged-model.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { Int64, KeyValue } from '../wire-types.js';
import { loggedModelToWire } from './wire.js';

/** MLflow 3's logged-model endpoints, which every `log_model` call goes through. */
const ModelId = z.object({ model_id: z.string().min(1) });
const Create = z.object({
  experiment_id: z.string().min(1),
  name: z.string().optional(),
  model_type: z.string().optional(),
  source_run_id: z.string().optional(),
  params: z.array(KeyValue).optional(),
  tags: z.array(KeyValue).optional(),
});
const Finalize = z.object({ status: z.enum(LOGGED_MODEL_STATUSES) });
const Tags = z.object({ tags: z.array(KeyValue) });
const Params = z.object({ params: z.array(KeyValue) });
const Search = z.object({
  experiment_ids: z.array(z.string()).optional(),
  filter: z.string().optional(),
  max_results: Int64.optional(),
  order_by: z.array(z.object({ field_name: z.string(), ascending: z.boolean().optional() })).optional(),
  datasets: z.array(z.object({ dataset_name: z.string().min(1), dataset_digest: z.string().optional() })).optional(),
  page_token: z.string().optional(),
});
const Outputs = z.object({
  run_id: z.string().min(1),
  models: z.array(z.object({ model_id: z.string().min(1), step: Int64.optional() })).optional(),
});

export function loggedModelRoutes(s: Services): Route[] {
  const model = async (p: Promise<Parameters<typeof loggedModelToWire>[0]>) => ({ model: loggedModelToWire(await p) });
  return [
    {
      method: 'POST', path: '/logged-models',
      handler: ({ actor, body }) => {
        const b = parse(Create, body);
        return model(s.loggedModels.create(actor, {
          experimentId: b.experiment_id, name: b.name, modelType: b.model_type, sourceRunId: b.source_run_id, params: b.params, tags: b.tags,
        }));
      },
    },
    {
      method: 'POST', path: '/logged-models/search',
      handler: async ({ actor, body }) => {
        const b = parse(Search, body);
        const page = await s.loggedModels.search(actor, {
          experimentIds: b.experiment_ids ?? [], filter: b.filter, maxResults: b.max_results, pageToken: b.page_token,
          orderBy: b.order_by?.map((o) => ({ field: o.field_name, ascending: o.ascending })),
          datasets: b.datasets?.map((d) => ({ name: d.dataset_name, ...(d.dataset_digest ? { digest: d.dataset_digest } : {}) })),
        });
        return {
          ...(page.items.length > 0 ? { models: page.items.map(loggedModelToWire) } : {}),
          ...(page.nextOffset !== undefined ? { next_page_token: encodePageToken(page.nextOffset) } : {}),
        };
      },
    },
    { method: 'GET', path: '/logged-models/:model_id', handler: ({ actor, params }) => model(s.loggedModels.get(actor, parse(ModelId, params).model_id)) },
    {
      method: 'PATCH', path: '/logged-models/:model_id',
      handler: ({ actor, params, body }) => model(s.loggedModels.finalize(actor, parse(ModelId, params).model_id, parse(Finalize, body).status)),
    },
    {
      method: 'DELETE', path: '/logged-models/:model_id',
      handler: async ({ actor, params }) => { await s.loggedModels.delete(actor, parse(ModelId, params).model_id); return {}; },
    },
    {
      method: 'PATCH', path: '/logged-models/:model_id/tags',
      handler: ({ actor, params, body }) => model(s.loggedModels.setTags(actor, parse(ModelId, params).model_id, parse(Tags, body).tags)),
    },
    {
      method: 'DELETE', path: '/logged-models/:model_id/tags/:tag_key',
      handler: async ({ actor, params }) => {
        const p = parse(ModelId.extend({ tag_key: z.string().min(1) }), params);
        await s.loggedModels.deleteTag(actor, p.model_id, p.tag_key);
        return {};
      },
    },
    {
      method: 'POST', path: '/logged-models/:model_id/params',
      handler: async ({ actor, params, body }) => {
        await s.loggedModels.logParams(actor, parse(ModelId, params).model_id, parse(Params, body).params);
        return {};
      },
    },
    {
      method: 'POST', path: '/runs/outputs',
      handler: async ({ actor, body }) => {
        const b = parse(Outputs, body);
        await s.loggedModels.logRunOutputs(actor, b.run_id, (b.models ?? []).map((m) => ({ modelId: m.model_id, step: m.step ?? 0 })));
        return {};
      },
    },
  ];
}
