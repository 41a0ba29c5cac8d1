import { z } from 'zod';
import { encodePageToken } from '../../core/paging.js';
import { PolicySchema } from '../../domain/registry/policy.js';
import { REQUEST_STATES, type PromotionRequest, type TransitionRecord } from '../../domain/registry/types.js';
import { formatTarget, parseTarget, parseVersion } from '../../domain/registry/validation.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { KeyValue, QueryInt, QueryList } from '../wire-types.js';
import { ProjectName, ProjectQuery } from './projects.routes.js';
import { ChecksOut, ModelVersionOut, PolicyViewOut, PromotionRequestOut, RegisteredModelOut, RollbackOut, TransitionRecordOut } from './registry.replies.js';
import { Empty, items, page } from './replies.js';

/**
 * The registry's native API: models and versions in the domain's camelCase shapes, promotion policies,
 * promotion requests with approvals, transition history and rollback. Targets are written as a stage
 * name (`Production`) or an alias (`@champion`); a bare word that is no stage is an alias.
 */
const NameParam = z.object({ name: z.string().min(1) });
const VersionParam = NameParam.extend({ version: z.string().min(1).transform(parseVersion) });
const IdParam = z.object({ id: z.string().regex(/^\d{1,12}$/, 'must be a request number').transform(Number) });
const Target = z.string().min(1).transform(parseTarget);
const ListModels = z.object({ filter: z.string().optional(), orderBy: QueryList.optional(), maxResults: QueryInt.optional(), pageToken: z.string().optional(), ...ProjectQuery });
const ListVersions = z.object({ orderBy: QueryList.optional(), maxResults: QueryInt.optional(), pageToken: z.string().optional() });
const CreateModel = z.object({ name: z.string(), description: z.string().optional(), tags: z.array(KeyValue).optional(), project: ProjectName.optional() });
const UpdateModel = z.object({ description: z.string().optional(), newName: z.string().min(1).optional() });
const CreateVersion = z.object({
  source: z.string(), runId: z.string().optional(), modelId: z.string().optional(), runLink: z.string().optional(),
  description: z.string().optional(), tags: z.array(KeyValue).optional(),
});
const HistoryQuery = z.object({ version: z.string().min(1).transform(parseVersion).optional() });
const Rollback = z.object({ toVersion: z.number().int().positive().optional(), reason: z.string().max(5000).optional() });
const ChecksQuery = z.object({ target: Target });
const CreateRequest = z.object({
  name: z.string().min(1), version: z.union([z.number().int(), z.string()]).transform(parseVersion), target: Target,
  reason: z.string().max(5000).optional(), archiveExisting: z.boolean().optional(),
});
const ListRequests = z.object({
  name: z.string().min(1).optional(), version: z.string().min(1).transform(parseVersion).optional(), state: z.enum(REQUEST_STATES).optional(),
});
const Comment = z.object({ comment: z.string().max(5000).optional() });
const Reason = z.object({ reason: z.string().max(5000).optional() });

const pageOut = <T>(items: readonly T[], nextOffset: number | undefined) => ({
  items, ...(nextOffset !== undefined ? { nextPageToken: encodePageToken(nextOffset) } : {}),
});
export const requestOut = (r: PromotionRequest) => ({ ...r, target: formatTarget(r.target) });
export const recordOut = (r: TransitionRecord) => ({ ...r, target: formatTarget(r.target) });
/** Model names go into a filter string quoted, with quotes doubled as the grammar escapes them. */
const nameFilter = (name: string) => `name = '${name.replace(/'/g, "''")}'`;

export function registryRoutesV1(s: Services): Route[] {
  const { registry, promotion } = s;
  return [
    {
      method: 'GET', path: '/models',
      schema: { summary: 'Search registered models (MLflow filter grammar on name and tags)', querystring: ListModels, response: { 200: page(RegisteredModelOut) } },
      handler: async ({ actor, query }) => {
        const q = parse(ListModels, query);
        const result = await registry.searchRegisteredModels(actor, q);
        return pageOut(result.items, result.nextOffset);
      },
    },
    {
      method: 'POST', path: '/models',
      schema: { summary: 'Register a model', body: CreateModel, response: { 201: RegisteredModelOut } },
      handler: async ({ actor, body, reply }) => {
        const model = await registry.createRegisteredModel(actor, parse(CreateModel, body));
        void reply.status(201);
        return model;
      },
    },
    {
      method: 'GET', path: '/models/:name',
      schema: { summary: 'A registered model', params: NameParam, response: { 200: RegisteredModelOut } },
      handler: ({ actor, params }) => registry.getRegisteredModel(actor, parse(NameParam, params).name),
    },
    {
      method: 'PATCH', path: '/models/:name',
      schema: { summary: 'Rename a registered model or change its description', params: NameParam, body: UpdateModel, response: { 200: RegisteredModelOut } },
      handler: async ({ actor, params, body }) => {
        let { name } = parse(NameParam, params);
        const b = parse(UpdateModel, body);
        if (b.newName !== undefined) name = (await registry.renameRegisteredModel(actor, name, b.newName)).name;
        if (b.description !== undefined) return registry.updateRegisteredModel(actor, name, b.description);
        return registry.getRegisteredModel(actor, name);
      },
    },
    {
      method: 'DELETE', path: '/models/:name',
      schema: { summary: 'Delete a registered model and its versions', params: NameParam, response: { 200: Empty } },
      handler: async ({ actor, params }) => { await registry.deleteRegisteredModel(actor, parse(NameParam, params).name); return {}; },
    },
    {
      method: 'GET', path: '/models/:name/versions',
      schema: { summary: 'A model\'s versions, newest first unless ordered otherwise', params: NameParam, querystring: ListVersions, response: { 200: page(ModelVersionOut) } },
      handler: async ({ actor, params, query }) => {
        const { name } = parse(NameParam, params);
        const q = parse(ListVersions, query);
        await registry.getRegisteredModel(actor, name);
        const result = await registry.searchModelVersions(actor, {
          filter: nameFilter(name), orderBy: q.orderBy ?? ['version_number DESC'], maxResults: q.maxResults ?? 1000, pageToken: q.pageToken,
        });
        return pageOut(result.items, result.nextOffset);
      },
    },
    {
      method: 'POST', path: '/models/:name/versions',
      schema: { summary: 'Create a model version from a run\'s artifacts, a logged model or an artifact URI', params: NameParam, body: CreateVersion, response: { 201: ModelVersionOut } },
      handler: async ({ actor, params, body, reply }) => {
        const version = await registry.createModelVersion(actor, { name: parse(NameParam, params).name, ...parse(CreateVersion, body) });
        void reply.status(201);
        return version;
      },
    },
    {
      method: 'GET', path: '/models/:name/versions/:version',
      schema: { summary: 'A model version', params: VersionParam, response: { 200: ModelVersionOut } },
      handler: ({ actor, params }) => {
        const p = parse(VersionParam, params);
        return registry.getModelVersion(actor, p.name, p.version);
      },
    },
    {
      method: 'GET', path: '/models/:name/versions/:version/checks',
      schema: { summary: 'Evaluate the promotion checks for moving a version to a target (nothing moves)', params: VersionParam, querystring: ChecksQuery, response: { 200: ChecksOut } },
      handler: async ({ actor, params, query }) => {
        const p = parse(VersionParam, params);
        const { target } = parse(ChecksQuery, query);
        const checks = await promotion.evaluate(actor, p.name, p.version, target);
        return { name: p.name, version: p.version, target: formatTarget(target), passed: checks.every((c) => c.passed), checks };
      },
    },
    {
      method: 'GET', path: '/models/:name/history',
      schema: { summary: 'Stage and alias moves of a model (or one version), with who, when, why and the checks then', params: NameParam, querystring: HistoryQuery, response: { 200: items(TransitionRecordOut) } },
      handler: async ({ actor, params, query }) => {
        const { name } = parse(NameParam, params);
        return { items: (await promotion.history(actor, name, parse(HistoryQuery, query).version)).map(recordOut) };
      },
    },
    {
      method: 'POST', path: '/models/:name/rollback',
      schema: { summary: 'Put the previous Production version back (or a given one)', params: NameParam, body: Rollback, response: { 200: RollbackOut } },
      handler: async ({ actor, params, body }) => {
        const result = await promotion.rollback(actor, parse(NameParam, params).name, parse(Rollback, body));
        return { ...result, records: result.records.map(recordOut) };
      },
    },
    {
      method: 'GET', path: '/models/:name/policy',
      schema: { summary: 'A model\'s promotion policy, the server default and the checks in effect per target', params: NameParam, response: { 200: PolicyViewOut } },
      handler: ({ actor, params }) => promotion.getPolicy(actor, parse(NameParam, params).name),
    },
    {
      method: 'PUT', path: '/models/:name/policy',
      schema: { summary: 'Set a model\'s promotion policy', params: NameParam, body: PolicySchema, response: { 200: PolicyViewOut } },
      handler: ({ actor, params, body }) => promotion.setPolicy(actor, parse(NameParam, params).name, body),
    },
    {
      method: 'DELETE', path: '/models/:name/policy',
      schema: { summary: 'Drop a model\'s own policy (the server default applies)', params: NameParam, response: { 200: Empty } },
      handler: async ({ actor, params }) => { await promotion.deletePolicy(actor, parse(NameParam, params).name); return {}; },
    },
    {
      method: 'POST', path: '/promotion-requests',
      schema: { summary: 'Ask for a version to move to a target; checks run now and again at each approval', body: CreateRequest, response: { 201: PromotionRequestOut } },
      handler: async ({ actor, body, reply }) => {
        const request = await promotion.createRequest(actor, parse(CreateRequest, body));
        void reply.status(201);
        return requestOut(request);
      },
    },
    {
      method: 'GET', path: '/promotion-requests',
      schema: { summary: 'Promotion requests', querystring: ListRequests, response: { 200: items(PromotionRequestOut) } },
      handler: async ({ actor, query }) => ({ items: (await promotion.listRequests(actor, parse(ListRequests, query))).map(requestOut) }),
    },
    {
      method: 'GET', path: '/promotion-requests/:id',
      schema: { summary: 'A promotion request', params: IdParam, response: { 200: PromotionRequestOut } },
      handler: async ({ actor, params }) => requestOut(await promotion.getRequest(actor, parse(IdParam, params).id)),
    },
    {
      method: 'POST', path: '/promotion-requests/:id/approve',
      schema: { summary: 'Approve a request (the last approval needed moves the version)', params: IdParam, body: Comment, response: { 200: PromotionRequestOut } },
      handler: async ({ actor, params, body }) => requestOut(await promotion.approve(actor, parse(IdParam, params).id, parse(Comment, body).comment)),
    },
    {
      method: 'POST', path: '/promotion-requests/:id/reject',
      schema: { summary: 'Reject a request', params: IdParam, body: Reason, response: { 200: PromotionRequestOut } },
      handler: async ({ actor, params, body }) => requestOut(await promotion.reject(actor, parse(IdParam, params).id, parse(Reason, body).reason)),
    },
    {
      method: 'POST', path: '/promotion-requests/:id/withdraw',
      schema: { summary: 'Withdraw your own request', params: IdParam, body: Reason, response: { 200: PromotionRequestOut } },
      handler: async ({ actor, params, body }) => requestOut(await promotion.withdraw(actor, parse(IdParam, params).id, parse(Reason, body).reason)),
    },
  ];
}
