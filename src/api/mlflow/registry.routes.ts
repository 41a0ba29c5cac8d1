import { z } from 'zod';
import { encodePageToken } from '../../core/paging.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { Int64, KeyValue, QueryInt, QueryList } from '../wire-types.js';
import { modelVersionToWire, registeredModelToWire } from './registry.wire.js';

/**
 * MLflow's model registry endpoints (mlflow/protos/model_registry.proto), field names as MLflow's. Searches
 * are GET only, as in MLflow; DELETE endpoints read a JSON body, as the MLflow client sends it.
 * Stage transitions and alias moves are gated by the promotion policy: a blocked move is a 400
 * INVALID_PARAMETER_VALUE whose message lists the failed checks.
 */
const Name = z.object({ name: z.string() });
const Version = z.union([z.string(), z.number().int()]).transform(String);
const Flag = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((v) => v.toLowerCase() === 'true')]);
const NameVersion = z.object({ name: z.string(), version: Version });

const CreateModel = z.object({ name: z.string(), tags: z.array(KeyValue).optional(), description: z.string().optional() });
const Rename = z.object({ name: z.string(), new_name: z.string() });
const Update = z.object({ name: z.string(), description: z.string().optional() });
const Search = z.object({
  filter: z.string().optional(),
  max_results: Int64.optional(),
  order_by: QueryList.optional(),
  page_token: z.string().optional(),
});
const SearchQuery = Search.extend({ max_results: QueryInt.optional() });
const ModelTag = z.object({ name: z.string(), key: z.string(), value: z.string() });
const ModelTagRef = z.object({ name: z.string(), key: z.string() });
const LatestVersions = z.object({ name: z.string(), stages: QueryList.optional() });
const SetAlias = z.object({ name: z.string(), alias: z.string(), version: Version });
const AliasRef = z.object({ name: z.string(), alias: z.string() });
const CreateVersion = z.object({
  name: z.string(),
  source: z.string(),
  run_id: z.string().optional(),
  tags: z.array(KeyValue).optional(),
  run_link: z.string().optional(),
  description: z.string().optional(),
  model_id: z.string().optional(),
});
const UpdateVersion = NameVersion.extend({ description: z.string().optional() });
const Transition = NameVersion.extend({ stage: z.string(), archive_existing_versions: Flag.optional() });
const VersionTag = NameVersion.extend({ key: z.string(), value: z.string() });
const VersionTagRef = NameVersion.extend({ key: z.string() });

const page = <T>(name: string, items: readonly T[], nextOffset: number | undefined) => ({
  ...(items.length > 0 ? { [name]: items } : {}),
  ...(nextOffset !== undefined ? { next_page_token: encodePageToken(nextOffset) } : {}),
});

export function registryRoutes(s: Services): Route[] {
  const r = s.registry;
  const latestVersions = async (actor: Parameters<typeof r.getLatestVersions>[0], q: z.output<typeof LatestVersions>) => {
    const versions = await r.getLatestVersions(actor, q.name, q.stages ?? []);
    return versions.length > 0 ? { model_versions: versions.map(modelVersionToWire) } : {};
  };
  return [
    {
      method: 'POST', path: '/registered-models/create',
      handler: async ({ actor, body }) => ({ registered_model: registeredModelToWire(await r.createRegisteredModel(actor, parse(CreateModel, body))) }),
    },
    {
      method: 'GET', path: '/registered-models/get',
      handler: async ({ actor, query }) => ({ registered_model: registeredModelToWire(await r.getRegisteredModel(actor, parse(Name, query).name)) }),
    },
    {
      method: 'POST', path: '/registered-models/rename',
      handler: async ({ actor, body }) => {
        const b = parse(Rename, body);
        return { registered_model: registeredModelToWire(await r.renameRegisteredModel(actor, b.name, b.new_name)) };
      },
    },
    {
      method: 'PATCH', path: '/registered-models/update',
      handler: async ({ actor, body }) => {
        const b = parse(Update, body);
        return { registered_model: registeredModelToWire(await r.updateRegisteredModel(actor, b.name, b.description)) };
      },
    },
    {
      method: 'DELETE', path: '/registered-models/delete',
      handler: async ({ actor, body }) => { await r.deleteRegisteredModel(actor, parse(Name, body).name); return {}; },
    },
    {
      method: 'GET', path: '/registered-models/search',
      handler: async ({ actor, query }) => {
        const q = parse(SearchQuery, query);
        const result = await r.searchRegisteredModels(actor, { filter: q.filter, orderBy: q.order_by, maxResults: q.max_results, pageToken: q.page_token });
        return page('registered_models', result.items.map(registeredModelToWire), result.nextOffset);
      },
    },
    {
      method: 'POST', path: '/registered-models/set-tag',
      handler: async ({ actor, body }) => {
        const b = parse(ModelTag, body);
        await r.setRegisteredModelTag(actor, b.name, { key: b.key, value: b.value });
        return {};
      },
    },
    {
      method: 'DELETE', path: '/registered-models/delete-tag',
      handler: async ({ actor, body }) => {
        const b = parse(ModelTagRef, body);
        await r.deleteRegisteredModelTag(actor, b.name, b.key);
        return {};
      },
    },
    { method: 'GET', path: '/registered-models/get-latest-versions', handler: ({ actor, query }) => latestVersions(actor, parse(LatestVersions, query)) },
    { method: 'POST', path: '/registered-models/get-latest-versions', handler: ({ actor, body }) => latestVersions(actor, parse(LatestVersions, body)) },
    {
      method: 'POST', path: '/registered-models/alias',
      handler: async ({ actor, body }) => { await r.setAlias(actor, parse(SetAlias, body)); return {}; },
    },
    {
      method: 'DELETE', path: '/registered-models/alias',
      handler: async ({ actor, body }) => {
        const b = parse(AliasRef, body);
        await r.deleteAlias(actor, b.name, b.alias);
        return {};
      },
    },
    {
      method: 'GET', path: '/registered-models/alias',
      handler: async ({ actor, query }) => {
        const q = parse(AliasRef, query);
        return { model_version: modelVersionToWire(await r.getVersionByAlias(actor, q.name, q.alias)) };
      },
    },
    {
      method: 'POST', path: '/model-versions/create',
      handler: async ({ actor, body }) => {
        const b = parse(CreateVersion, body);
        const version = await r.createModelVersion(actor, {
          name: b.name, source: b.source, runId: b.run_id, runLink: b.run_link, modelId: b.model_id, description: b.description, tags: b.tags,
        });
        return { model_version: modelVersionToWire(version) };
      },
    },
    {
      method: 'GET', path: '/model-versions/get',
      handler: async ({ actor, query }) => {
        const q = parse(NameVersion, query);
        return { model_version: modelVersionToWire(await r.getModelVersion(actor, q.name, q.version)) };
      },
    },
    {
      method: 'PATCH', path: '/model-versions/update',
      handler: async ({ actor, body }) => {
        const b = parse(UpdateVersion, body);
        return { model_version: modelVersionToWire(await r.updateModelVersion(actor, b.name, b.version, b.description)) };
      },
    },
    {
      method: 'DELETE', path: '/model-versions/delete',
      handler: async ({ actor, body }) => {
        const b = parse(NameVersion, body);
        await r.deleteModelVersion(actor, b.name, b.version);
        return {};
      },
    },
    {
      method: 'GET', path: '/model-versions/search',
      handler: async ({ actor, query }) => {
        const q = parse(SearchQuery, query);
        const result = await r.searchModelVersions(actor, { filter: q.filter, orderBy: q.order_by, maxResults: q.max_results, pageToken: q.page_token });
        return page('model_versions', result.items.map(modelVersionToWire), result.nextOffset);
      },
    },
    {
      method: 'POST', path: '/model-versions/transition-stage',
      handler: async ({ actor, body }) => {
        const b = parse(Transition, body);
        const version = await r.transitionStage(actor, { name: b.name, version: b.version, stage: b.stage, archiveExisting: b.archive_existing_versions ?? false });
        return { model_version: modelVersionToWire(version) };
      },
    },
    {
      method: 'GET', path: '/model-versions/get-download-uri',
      handler: async ({ actor, query }) => {
        const q = parse(NameVersion, query);
        return { artifact_uri: await r.getDownloadUri(actor, q.name, q.version) };
      },
    },
    {
      method: 'POST', path: '/model-versions/set-tag',
      handler: async ({ actor, body }) => {
        const b = parse(VersionTag, body);
        await r.setModelVersionTag(actor, b.name, b.version, { key: b.key, value: b.value });
        return {};
      },
    },
    {
      method: 'DELETE', path: '/model-versions/delete-tag',
      handler: async ({ actor, body }) => {
        const b = parse(VersionTagRef, body);
        await r.deleteModelVersionTag(actor, b.name, b.version, b.key);
        return {};
      },
    },
  ];
}
