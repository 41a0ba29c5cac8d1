import { z } from 'zod';
import type { PolicyView, RollbackResult } from '../../domain/registry/promotion.service.js';
import { CheckSpecSchema, PolicySchema } from '../../domain/registry/policy.js';
import { REQUEST_STATES, STAGES, type CheckResult, type ModelVersion, type PromotionRequest, type RegisteredModel, type TransitionRecord } from '../../domain/registry/types.js';
import { described, KeyValueOut } from './replies.js';

/** A stage name (`Production`) or an alias (`@champion`), as targets are written on this API. */
const TargetText = z.string().describe('a stage name (Production) or an alias (@champion)');
const Stage = z.enum(STAGES);
const Time = z.number().describe('milliseconds since the epoch');

export const ModelVersionOut = described<ModelVersion>()(z.object({
  name: z.string(),
  version: z.number().int(),
  creationTime: Time,
  lastUpdatedTime: Time,
  currentStage: Stage,
  description: z.string().optional(),
  userId: z.string().optional(),
  source: z.string().describe('as the client gave it: runs:/<run>/<path>, models:/m-…, or an artifact URI'),
  storageLocation: z.string().describe('where the files are: the source resolved'),
  runId: z.string().optional(),
  runLink: z.string().optional(),
  modelId: z.string().optional(),
  status: z.literal('READY'),
  tags: z.array(KeyValueOut),
  aliases: z.array(z.string()),
  metadata: z.object({
    flavors: z.record(z.string(), z.unknown()).optional(),
    signature: z.object({ inputs: z.string().optional(), outputs: z.string().optional(), params: z.string().optional() }).optional().describe('MLflow keeps the signature\'s parts as JSON strings'),
    modelUuid: z.string().optional(),
    runId: z.string().optional(),
    savedInputExampleInfo: z.record(z.string(), z.unknown()).optional(),
  }).optional().describe('what the server read from the version\'s MLmodel file'),
}).meta({ id: 'ModelVersion' }));

export const RegisteredModelOut = described<RegisteredModel>()(z.object({
  name: z.string(),
  creationTime: Time,
  lastUpdatedTime: Time,
  description: z.string().optional(),
  tags: z.array(KeyValueOut),
  aliases: z.array(z.object({ alias: z.string(), version: z.number().int() })),
  latestVersions: z.array(ModelVersionOut).describe('the newest version in each stage that has one'),
}).meta({ id: 'RegisteredModel' }));

export const CheckResultOut = described<CheckResult>()(z.object({
  type: z.string(), name: z.string(), passed: z.boolean(), detail: z.string(), evidence: z.record(z.string(), z.unknown()).describe('the values the check looked at'),
}).meta({ id: 'CheckResult' }));

export const ChecksOut = z.object({ name: z.string(), version: z.number().int(), target: TargetText, passed: z.boolean(), checks: z.array(CheckResultOut) });

export const TransitionRecordOut = described<Omit<TransitionRecord, 'target'> & { target: string }>()(z.object({
  id: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  kind: z.enum(['transition', 'alias', 'rollback']),
  target: TargetText,
  fromStage: Stage.optional(),
  toStage: Stage.optional(),
  previousVersion: z.number().int().optional().describe('alias moves: the version the alias pointed to before, absent when it is new'),
  actor: z.string(),
  time: Time,
  reason: z.string().optional(),
  checks: z.array(CheckResultOut),
  requestId: z.number().int().optional(),
}).meta({ id: 'TransitionRecord' }));

export const RollbackOut = described<Omit<RollbackResult, 'records'> & { records: z.output<typeof TransitionRecordOut>[] }>()(z.object({
  version: ModelVersionOut.describe('the version now in place'),
  from: z.number().int().describe('the version rolled back from'),
  records: z.array(TransitionRecordOut),
}));

export const PolicyViewOut = described<PolicyView>()(z.object({
  name: z.string(),
  policy: PolicySchema.optional().describe('the model\'s own policy, absent when it follows the server default'),
  defaultPolicy: PolicySchema,
  effective: z.record(z.string(), z.array(CheckSpecSchema)).describe('the checks that apply to each target after fallback'),
}).meta({ id: 'PolicyView' }));

export const PromotionRequestOut = described<Omit<PromotionRequest, 'target'> & { target: string }>()(z.object({
  id: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  target: TargetText,
  archiveExisting: z.boolean(),
  requester: z.string(),
  reason: z.string().optional(),
  state: z.enum(REQUEST_STATES),
  checks: z.array(CheckResultOut).describe('as last evaluated: at creation, then at each approval'),
  approvals: z.array(z.object({ userId: z.string(), time: Time, comment: z.string().optional() })),
  createdTime: Time,
  updatedTime: Time,
  resolvedBy: z.string().optional(),
  resolution: z.string().optional(),
}).meta({ id: 'PromotionRequest' }));
