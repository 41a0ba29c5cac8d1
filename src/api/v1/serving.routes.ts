import { z } from 'zod';
import { candidateWeight } from '../../domain/serving/router.js';
import { AnalysisSchema, BatchingSchema, FeatureFetchSchema, LoggingSchema, Percent, RoutingPatchSchema, RoutingSchema, RuntimeSpecSchema } from '../../domain/serving/schemas.js';
import { STRATEGIES, type Deployment, type Rollout } from '../../domain/serving/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import { sent, type Route, type RouteContext, type RouteSchema } from '../surface.js';
import { errorReplies } from './errors.js';
import { ProjectName, ProjectQuery } from './projects.routes.js';
import { Empty } from './replies.js';
import { DeploymentEventOut, DeploymentOut, LoadTestOut, PredictionOut, VerdictOut } from './serving.replies.js';

/** Durations as people write them: `30s`, `5m`, `1h`, `250ms`, or a number of milliseconds. */
export const Duration = z.union([
  z.number().int().min(0),
  z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, "use a duration such as '30s', '5m' or '1h'").transform((v) => {
    const [, n, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v)!;
    return Math.round(Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h']);
  }),
]);

const Selector = {
  version: z.union([z.string().regex(/^\d+$/), z.number().int().min(1).transform(String)]).optional(),
  alias: z.string().min(1).max(256).optional(),
  stage: z.enum(['Staging', 'Production']).optional(),
};
const oneSelector = (v: { version?: string; alias?: string; stage?: string }) => [v.version, v.alias, v.stage].filter((x) => x !== undefined).length === 1;
const SELECTOR_MESSAGE = "give exactly one of 'version', 'alias' or 'stage'";

const CreateDeployment = z.object({
  name: z.string().min(1).max(128).optional(),
  model: z.string().min(1).max(256),
  ...Selector,
  target: z.string().min(1).max(256).optional(),
  runtime: RuntimeSpecSchema.optional(),
  routing: RoutingSchema.optional(),
  batching: BatchingSchema.optional(),
  logging: LoggingSchema.optional(),
  features: FeatureFetchSchema.optional(),
  allowUnready: z.boolean().optional(),
  project: ProjectName.optional(),
}).refine(oneSelector, { message: SELECTOR_MESSAGE, path: ['version'] });
const ListDeployments = z.object(ProjectQuery);

const StartRollout = z.object({
  ...Selector,
  runtime: RuntimeSpecSchema.optional(),
  strategy: z.enum(STRATEGIES).default('canary'),
  steps: z.array(Percent).min(1).max(20).optional(),
  interval: Duration.default(300_000),
  analysis: AnalysisSchema.optional(),
  allowUnready: z.boolean().optional(),
}).refine(oneSelector, { message: SELECTOR_MESSAGE, path: ['version'] });

const UpdateDeployment = z.object({
  routing: RoutingPatchSchema.optional(), batching: BatchingSchema.optional(), logging: LoggingSchema.optional(),
  // null: the deployment stops fetching features (requests carry the model's inputs again).
  features: FeatureFetchSchema.nullable().optional(),
});

/**
 * Of a section a PATCH body gave, the fields it gave: the section's schema fills in defaults for the others
 * (zod applies them even to optional fields), and those must not overwrite what the deployment has.
 */
function givenFields<T extends object>(parsed: T | undefined, raw: unknown): Partial<T> | undefined {
  if (parsed === undefined || raw === null || typeof raw !== 'object') return undefined;
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => Object.hasOwn(raw, key))) as Partial<T>;
}

const Reason = z.object({ reason: z.string().max(2000).optional() });
const Name = z.object({ name: z.string().min(1) });
const QueryInt = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const EventsQuery = z.object({ limit: QueryInt(1000, 100) });
const PredictionParams = z.object({ name: z.string().min(1), id: z.string().min(1) });
const LoadTestsQuery = z.object({ model: z.string().min(1), version: z.string().min(1).optional() });
const Predictions = z.object({ limit: QueryInt(1000, 100), version: z.string().optional(), since: z.coerce.number().int().optional() });

const LoadTest = z.object({
  version: z.string().min(1).optional(),
  endpoint: z.string().min(1).max(2000),
  connections: z.number().int().min(1),
  durationS: z.number().positive(),
  targetRps: z.number().positive().optional(),
  requests: z.number().int().min(0),
  throughputRps: z.number().min(0),
  latencyMs: z.object({ p50: z.number().min(0), p90: z.number().min(0), p99: z.number().min(0), max: z.number().min(0) }),
  errors: z.number().int().min(0),
  non2xx: z.number().int().min(0),
});

/** What clients see: the stored deployment plus what follows from it (status, the candidate's share, where to send requests). */
export function deploymentOut(d: Deployment) {
  const status: Rollout['phase'] | 'stable' = d.rollout ? d.rollout.phase : 'stable';
  return {
    ...d,
    status,
    candidateWeight: candidateWeight(d),
    endpoints: { v2: `/v2/models/${d.name}/infer`, invocations: `/serve/${d.name}/invocations` },
  };
}

const serverUrl = (ctx: RouteContext) => `${ctx.request.protocol}://${ctx.request.headers.host ?? 'localhost'}`;

export function servingRoutesV1(s: Services): Route[] {
  const d = s.serving.deployments;
  const action = (fn: (ctx: RouteContext, name: string, reason: string | undefined) => Promise<Deployment>): Route['handler'] =>
    async (ctx) => deploymentOut(await fn(ctx, parse(Name, ctx.params).name, parse(Reason, ctx.body).reason));
  const actionSchema = (summary: string, withReason = true): RouteSchema => ({
    summary, params: Name, ...(withReason ? { body: Reason } : {}), response: { 200: DeploymentOut, ...errorReplies(400, 404, 409) },
  });
  return [
    {
      method: 'POST', path: '/deployments',
      schema: {
        summary: 'Deploy a registry model version (exactly one of version, alias or stage)', body: CreateDeployment,
        response: { 201: DeploymentOut, ...errorReplies(400, 404, 409, 503) },
      },
      handler: async ({ actor, body, reply }) => {
        const b = parse(CreateDeployment, body);
        const created = await d.create(actor, {
          modelName: b.model, selector: { version: b.version, alias: b.alias, stage: b.stage },
          ...(b.name ? { name: b.name } : {}), ...(b.target ? { target: b.target } : {}), ...(b.runtime ? { runtime: b.runtime } : {}),
          ...(b.routing ? { routing: b.routing } : {}), ...(b.batching ? { batching: b.batching } : {}), ...(b.logging ? { logging: b.logging } : {}),
          ...(b.features ? { features: b.features } : {}),
          ...(b.allowUnready ? { allowUnready: true } : {}), ...(b.project ? { project: b.project } : {}),
        });
        void reply.status(201);
        return deploymentOut(created);
      },
    },
    {
      method: 'GET', path: '/deployments',
      schema: { summary: 'List the deployments the caller may read, optionally of one project', querystring: ListDeployments, response: { 200: z.object({ items: z.array(DeploymentOut) }), ...errorReplies(400) } },
      handler: async ({ actor, query }) => ({ items: (await d.list(actor, parse(ListDeployments, query ?? {}).project)).map(deploymentOut) }),
    },
    {
      method: 'GET', path: '/deployments/:name',
      schema: { summary: 'Get a deployment with its rollout and endpoints', params: Name, response: { 200: DeploymentOut, ...errorReplies(404) } },
      handler: async ({ actor, params }) => deploymentOut(await d.get(actor, parse(Name, params).name)),
    },
    {
      method: 'PATCH', path: '/deployments/:name',
      schema: { summary: 'Change routing, batching, prediction logging or the features the deployment fetches', params: Name, body: UpdateDeployment, response: { 200: DeploymentOut, ...errorReplies(400, 404, 409) } },
      handler: async ({ actor, params, body }) => {
        const b = parse(UpdateDeployment, body);
        const raw = body as { routing?: unknown; batching?: unknown; logging?: unknown };
        const [routing, batching, logging] = [givenFields(b.routing, raw.routing), givenFields(b.batching, raw.batching), givenFields(b.logging, raw.logging)];
        return deploymentOut(await d.update(actor, parse(Name, params).name, {
          ...(routing ? { routing } : {}), ...(batching ? { batching } : {}), ...(logging ? { logging } : {}),
          ...(b.features !== undefined ? { features: b.features } : {}),
        }));
      },
    },
    {
      method: 'DELETE', path: '/deployments/:name',
      schema: { summary: 'Delete a deployment and stop serving it', params: Name, response: { 200: Empty, ...errorReplies(404) } },
      handler: async ({ actor, params }) => { await d.delete(actor, parse(Name, params).name); return {}; },
    },
    {
      method: 'POST', path: '/deployments/:name/rollouts',
      schema: {
        summary: 'Start a rollout of another version (canary, shadow or blue-green) with automatic analysis',
        params: Name, body: StartRollout, response: { 201: DeploymentOut, ...errorReplies(400, 404, 409, 503) },
      },
      handler: async ({ actor, params, body, reply }) => {
        const b = parse(StartRollout, body);
        const started = await d.startRollout(actor, parse(Name, params).name, {
          selector: { version: b.version, alias: b.alias, stage: b.stage }, strategy: b.strategy, intervalMs: b.interval,
          ...(b.runtime ? { runtime: b.runtime } : {}), ...(b.steps ? { steps: b.steps } : {}), ...(b.analysis ? { analysis: b.analysis } : {}),
          ...(b.allowUnready ? { allowUnready: true } : {}),
        });
        void reply.status(201);
        return deploymentOut(started);
      },
    },
    { method: 'POST', path: '/deployments/:name/promote', schema: actionSchema('Promote the candidate to stable now, skipping the remaining steps'), handler: action(({ actor }, name, reason) => d.promote(actor, name, reason)) },
    { method: 'POST', path: '/deployments/:name/pause', schema: actionSchema('Pause the rollout at its current step'), handler: action(({ actor }, name, reason) => d.pause(actor, name, reason)) },
    { method: 'POST', path: '/deployments/:name/resume', schema: actionSchema('Resume a paused rollout', false), handler: action(({ actor }, name) => d.resume(actor, name)) },
    { method: 'POST', path: '/deployments/:name/abort', schema: actionSchema('Abort the rollout: all traffic back to the stable version'), handler: action(({ actor }, name, reason) => d.abort(actor, name, reason)) },
    { method: 'POST', path: '/deployments/:name/rollback', schema: actionSchema('Roll back: abort the rollout, or return to the previous stable version'), handler: action(({ actor }, name, reason) => d.rollback(actor, name, reason)) },
    {
      method: 'GET', path: '/deployments/:name/events',
      schema: { summary: "A deployment's history, newest first", params: Name, querystring: EventsQuery, response: { 200: z.object({ items: z.array(DeploymentEventOut) }), ...errorReplies(400, 404) } },
      handler: async ({ actor, params, query }) => ({ items: await d.events(actor, parse(Name, params).name, parse(EventsQuery, query).limit) }),
    },
    {
      method: 'GET', path: '/deployments/:name/analysis',
      schema: { summary: "The rollout's checks over its current step: candidate against baseline", params: Name, response: { 200: VerdictOut, ...errorReplies(404, 409) } },
      handler: async ({ actor, params }) => d.analysis(actor, parse(Name, params).name),
    },
    {
      method: 'GET', path: '/deployments/:name/runbook',
      schema: {
        summary: 'An operations runbook for the deployment, in Markdown', params: Name,
        response: { 200: { description: 'the runbook', content: { 'text/markdown': { schema: z.string() } } }, ...errorReplies(404) },
      },
      handler: async (ctx) => {
        const text = await d.runbook(ctx.actor, parse(Name, ctx.params).name, serverUrl(ctx));
        void ctx.reply.header('content-type', 'text/markdown; charset=utf-8');
        return sent(ctx.reply.send(text));
      },
    },
    {
      method: 'GET', path: '/deployments/:name/predictions',
      schema: { summary: 'Logged predictions (as sampled by logging.sampleRate), newest first', params: Name, querystring: Predictions, response: { 200: z.object({ items: z.array(PredictionOut) }), ...errorReplies(400, 404) } },
      handler: async ({ actor, params, query }) => {
        const q = parse(Predictions, query);
        return { items: await d.predictions(actor, parse(Name, params).name, { limit: q.limit, ...(q.version ? { version: q.version } : {}), ...(q.since !== undefined ? { since: q.since } : {}) }) };
      },
    },
    {
      method: 'GET', path: '/deployments/:name/predictions/:id',
      schema: { summary: 'One logged prediction', params: PredictionParams, response: { 200: PredictionOut, ...errorReplies(404) } },
      handler: async ({ actor, params }) => {
        const p = parse(PredictionParams, params);
        return d.prediction(actor, p.name, p.id);
      },
    },
    {
      method: 'POST', path: '/deployments/:name/load-tests',
      schema: { summary: "Record a load test's result against the deployment's version", params: Name, body: LoadTest, response: { 201: LoadTestOut, ...errorReplies(400, 404) } },
      handler: async ({ actor, params, body, reply }) => {
        const result = await d.recordLoadTest(actor, parse(Name, params).name, parse(LoadTest, body));
        void reply.status(201);
        return result;
      },
    },
    {
      method: 'GET', path: '/load-tests',
      schema: { summary: "A registered model's recorded load tests, optionally of one version", tags: ['deployments'], querystring: LoadTestsQuery, response: { 200: z.object({ items: z.array(LoadTestOut) }), ...errorReplies(400, 404) } },
      handler: async ({ actor, query }) => {
        const q = parse(LoadTestsQuery, query);
        return { items: await d.loadTests(actor, q.model, q.version) };
      },
    },
  ];
}
