import { z } from 'zod';
import type { ParamSpec, SweepConfig } from './types.js';

/**
 * What crosses the wire for sweeps, and what `sweep.yaml` holds: the same schema, so a file that the CLI accepts
 * is a body the server accepts. Parameters are a map in declaration order; a condition names earlier parameters.
 */
const ParamName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/, 'must start with a letter or _ and hold letters, digits, _ . -');
const Scalar = z.union([z.number(), z.string().max(250), z.boolean()]);
const When = z.record(ParamName, z.union([Scalar, z.array(Scalar).min(1).max(100)]))
  .describe('active only when each named (earlier) parameter is active and equals the value, or one of the values');

const Finite = z.number().finite();
const Uniform = z.object({ type: z.literal('uniform'), min: Finite, max: Finite, gridPoints: z.number().int().min(1).max(10_000).optional(), when: When.optional() }).strict();
const LogUniform = z.object({ type: z.literal('log_uniform'), min: Finite.positive(), max: Finite.positive(), gridPoints: z.number().int().min(1).max(10_000).optional(), when: When.optional() }).strict();
const Int = z.object({
  type: z.literal('int'), min: z.number().int(), max: z.number().int(), step: z.number().int().positive().default(1), log: z.boolean().default(false), when: When.optional(),
}).strict();
const Categorical = z.object({ type: z.literal('categorical'), values: z.array(Scalar).min(1).max(1000), when: When.optional() }).strict();
const Param = z.discriminatedUnion('type', [Uniform, LogUniform, Int, Categorical]);

const Median = z.object({
  type: z.literal('median'),
  nStartupTrials: z.number().int().min(0).default(5).describe('no trial is stopped before this many trials completed'),
  nWarmupSteps: z.number().int().min(0).default(0).describe('no trial is stopped before this step'),
  intervalSteps: z.number().int().min(1).default(1),
  nMinTrials: z.number().int().min(1).default(1).describe('completed trials that must have reached the step'),
}).strict();
const AshaSchema = z.object({
  type: z.literal('asha'),
  minResource: z.number().int().min(1).default(1).describe('the first rung\'s step'),
  reductionFactor: z.number().int().min(2).default(3).describe('η: rung k is at minResource·η^(minEarlyStoppingRate+k); 1/η of the trials go on at each rung'),
  minEarlyStoppingRate: z.number().int().min(0).default(0),
}).strict();

export const SweepConfigSchema = z.object({
  method: z.enum(['grid', 'random', 'tpe']),
  metric: z.object({ name: z.string().min(1).max(250), goal: z.enum(['minimize', 'maximize']).default('minimize') }).strict(),
  parameters: z.record(ParamName, Param).refine((p) => Object.keys(p).length > 0, 'declare at least one parameter'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
  earlyStopping: z.discriminatedUnion('type', [Median, AshaSchema]).optional(),
  tpe: z.object({
    nStartupTrials: z.number().int().min(0).default(10).describe('trials sampled at random before TPE takes over'),
    nEiCandidates: z.number().int().min(1).max(10_000).default(24).describe('candidates drawn from l(x), the one maximising l(x)/g(x) is chosen'),
  }).strict().default({ nStartupTrials: 10, nEiCandidates: 24 }),
  command: z.array(z.string().max(65_536)).min(1).max(1000).optional(),
}).strict();
export type SweepConfigInput = z.input<typeof SweepConfigSchema>;

export const CreateSweepSchema = z.object({
  name: z.string().min(1).max(250),
  experimentId: z.string().min(1).max(64),
  config: SweepConfigSchema,
  trials: z.number().int().min(1).max(100_000).optional().describe('how many trials to run in all; grid search defaults to (and is capped at) the grid\'s size'),
}).strict();
export type CreateSweepInput = z.output<typeof CreateSweepSchema>;

const Controller = z.string().min(1).max(256).describe('the controller\'s id, as it took the sweep\'s lease');
export const AskSchema = z.object({ host: z.string().max(256).optional(), controller: Controller.optional() }).strict();
export const ResumeSchema = z.object({ controller: Controller.optional() }).strict();
export const LeaseSchema = z.object({
  controller: Controller,
  host: z.string().min(1).max(256),
  pid: z.number().int().positive(),
  ttlMs: z.number().int().min(1000).max(3_600_000).default(60_000).describe('how long the lease lasts unless renewed'),
  takeOver: Controller.optional().describe('take the lease from this holder, found dead by the caller (same host, no such process)'),
}).strict();
export const ReleaseLeaseSchema = z.object({ controller: Controller }).strict();
export const TrialProcessSchema = z.object({ pid: z.number().int().positive(), host: z.string().max(256) }).strict();
export const FinishTrialSchema = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().max(32).nullable().default(null),
}).strict();
export const ImportanceQuerySchema = z.object({
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).default(0).describe('the forest\'s seed: the same seed gives the same estimate'),
  trees: z.coerce.number().int().min(1).max(256).default(64).describe('regression trees in the forest'),
}).strict();
export const ExtendSchema = z.object({ trials: z.number().int().min(1).max(100_000) }).strict();
export const RegisterBestSchema = z.object({
  name: z.string().min(1).max(250).describe('the registered model (created when missing)'),
  artifactPath: z.string().min(1).max(1000).default('model').describe('where the trial\'s run logged the model'),
  description: z.string().max(5000).optional(),
}).strict();

/** The declared config as the service keeps it: parameters as an ordered list, conditions as value lists. */
export function normalizeConfig(input: z.output<typeof SweepConfigSchema>): SweepConfig {
  const parameters: ParamSpec[] = Object.entries(input.parameters).map(([name, p]) => {
    const when = p.when ? { when: Object.fromEntries(Object.entries(p.when).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])) } : {};
    switch (p.type) {
      case 'uniform': case 'log_uniform': return { name, type: p.type, min: p.min, max: p.max, ...(p.gridPoints !== undefined ? { gridPoints: p.gridPoints } : {}), ...when };
      case 'int': return { name, type: 'int', min: p.min, max: p.max, step: p.step, log: p.log, ...when };
      case 'categorical': return { name, type: 'categorical', values: p.values, ...when };
    }
  });
  return {
    method: input.method,
    metric: input.metric,
    parameters,
    seed: input.seed,
    ...(input.earlyStopping ? { earlyStopping: input.earlyStopping } : {}),
    tpe: input.tpe,
    ...(input.command ? { command: input.command } : {}),
  };
}
