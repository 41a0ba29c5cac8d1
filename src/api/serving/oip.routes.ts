import { z } from 'zod';
import { VERSION } from '../../core/version.js';
import { entitiesFromTensors } from '../../domain/serving/feature-fetch.js';
import { FeatureVectorSchema } from '../../domain/serving/schemas.js';
import { DATATYPES, tensorFromJson, tensorValues, type Tensor } from '../../domain/serving/tensor.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route, RouteContext } from '../surface.js';
import { answeringModelFailures, oipErrorBody, scoringErrorBody } from './errors.js';
import { entitiesFromScoringBody, scoringResponse, tensorsFromScoringBody } from './scoring-formats.js';

/**
 * Open Inference Protocol v2 (KServe, Triton, MLServer speak it) under `/v2`, and MLflow's scoring
 * server under `/serve/{deployment}` (`/invocations`, `/ping`), both in front of the same deployments.
 */
const Params = z.object({ name: z.string().min(1), version: z.string().min(1).optional() });

const InferTensor = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().min(0)),
  datatype: z.enum(DATATYPES),
  data: z.array(z.unknown()),
  parameters: z.record(z.string(), z.unknown()).optional(),
});

const InferBody = z.object({
  id: z.string().max(256).optional(),
  // `feature_vector`: the join keys and feature values the inputs were made from, logged with a sampled prediction.
  parameters: z.object({ feature_vector: FeatureVectorSchema.optional() }).catchall(z.unknown()).optional(),
  inputs: z.array(InferTensor).min(1),
  outputs: z.array(z.object({ name: z.string().min(1) })).optional(),
});

/** Stale feature values a deployment scored (its features.onStale is 'warn'): named in a header, the answer unchanged. */
export const FEATURE_WARNING_HEADER = 'x-openexpert-feature-warning';
const featureWarnings = (ctx: RouteContext, warnings: readonly string[] | undefined) => {
  if (warnings?.length) void ctx.reply.header(FEATURE_WARNING_HEADER, warnings.join('; '));
};

const tensorOut = (t: Tensor) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: tensorValues(t) });

export function oipRoutes(s: Services): Route[] {
  const infer = async (ctx: RouteContext) => {
    const { name, version } = parse(Params, ctx.params);
    const body = parse(InferBody, ctx.body);
    const inputs = body.inputs.map((t, i) => tensorFromJson(t.name, t.datatype, t.shape, t.data, `inputs[${i}]`));
    return answeringModelFailures(ctx.reply, oipErrorBody, async () => {
      const result = await s.serving.inference.infer(ctx.actor, {
        deployment: name, inputs, ...(version !== undefined ? { version } : {}), ...(body.outputs ? { outputs: body.outputs.map((o) => o.name) } : {}),
        headers: ctx.headers, ...(body.parameters ? { parameters: body.parameters } : {}),
        ...(body.parameters?.feature_vector ? { featureVector: body.parameters.feature_vector } : {}),
        entities: (keys) => entitiesFromTensors(inputs, keys),
      });
      void ctx.reply.header('x-prediction-id', result.predictionId);
      featureWarnings(ctx, result.warnings);
      return {
        model_name: name, model_version: result.version, ...(body.id !== undefined ? { id: body.id } : {}),
        parameters: { prediction_id: result.predictionId }, outputs: result.outputs.map(tensorOut),
      };
    });
  };
  const metadata = async ({ actor, params, reply }: RouteContext) => {
    const { name, version } = parse(Params, params);
    return answeringModelFailures(reply, oipErrorBody, async () => {
      const m = await s.serving.inference.metadata(actor, name, version);
      const versions = [m.deployment.stable.version, ...(m.deployment.rollout ? [m.deployment.rollout.candidate.version] : [])];
      return {
        name, versions, platform: m.metadata.platform,
        inputs: m.metadata.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
        outputs: m.metadata.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
      };
    });
  };
  const ready = async ({ actor, params, reply }: RouteContext) => {
    const { name, version } = parse(Params, params);
    const r = await s.serving.inference.ready(actor, name, version);
    // The protocol reads readiness from the status alone: 200 is ready, 4xx is not.
    if (!r.ready) void reply.status(400);
    return { name, ready: r.ready, ...(r.reason ? { reason: r.reason } : {}) };
  };
  return [
    { method: 'GET', path: '', handler: async () => ({ name: 'openexpert', version: VERSION, extensions: [] }) },
    { method: 'GET', path: '/health/live', handler: async () => ({ live: true }) },
    { method: 'GET', path: '/health/ready', handler: async () => ({ ready: true }) },
    { method: 'GET', path: '/models/:name', handler: metadata },
    { method: 'GET', path: '/models/:name/versions/:version', handler: metadata },
    { method: 'GET', path: '/models/:name/ready', handler: ready },
    { method: 'GET', path: '/models/:name/versions/:version/ready', handler: ready },
    { method: 'POST', path: '/models/:name/infer', handler: infer },
    { method: 'POST', path: '/models/:name/versions/:version/infer', handler: infer },
  ];
}

export function scoringRoutes(s: Services): Route[] {
  return [
    {
      method: 'POST', path: '/:name/invocations',
      handler: async (ctx) => {
        const { name } = parse(Params, ctx.params);
        return answeringModelFailures(ctx.reply, scoringErrorBody, async () => {
          const result = await s.serving.inference.infer(ctx.actor, {
            deployment: name, inputs: (metadata) => tensorsFromScoringBody(ctx.body, metadata), headers: ctx.headers,
            entities: (keys) => entitiesFromScoringBody(ctx.body, keys),
          });
          void ctx.reply.header('x-prediction-id', result.predictionId).header('x-model-version', result.version);
          featureWarnings(ctx, result.warnings);
          return scoringResponse(result.outputs);
        });
      },
    },
    {
      method: 'GET', path: '/:name/ping',
      handler: async ({ actor, params, reply }) => {
        const r = await s.serving.inference.ready(actor, parse(Params, params).name);
        if (!r.ready) void reply.status(503);
        return r.ready ? {} : { error_code: 'TEMPORARILY_UNAVAILABLE', message: r.reason };
      },
    },
    { method: 'GET', path: '/:name/version', handler: async () => VERSION },
  ];
}
