import { z } from 'zod';
import type { Importance } from '../../domain/sweeps/importance.js';
import type { SweepDetail, SweepLease, SweepSummary, Trial, TrialState } from '../../domain/sweeps/types.js';
import { metricValueToWire } from '../wire-types.js';
import { described, MetricValueOut } from './replies.js';

/** Objective values may be NaN or ±Infinity: they cross the wire as those strings, as metric values do. */
type WireValue = z.output<typeof MetricValueOut>;
type TrialWire = Omit<Trial, 'value' | 'curve'> & { value?: WireValue; curve?: [number, WireValue][] };
type SummaryWire = Omit<SweepSummary, 'best'> & { best?: TrialWire };
type DetailWire = Omit<SweepDetail, 'best' | 'trials'> & { best?: TrialWire; trials: TrialWire[] };

export const trialToWire = (t: Trial): TrialWire => {
  const { value, curve, ...rest } = t;
  return { ...rest, ...(value !== undefined ? { value: metricValueToWire(value) } : {}), ...(curve ? { curve: curve.map(([s, v]) => [s, metricValueToWire(v)]) } : {}) };
};
export const summaryToWire = (s: SweepSummary): SummaryWire => {
  const { best, ...rest } = s;
  return { ...rest, ...(best ? { best: trialToWire(best) } : {}) };
};
export const detailToWire = (s: SweepDetail): DetailWire => ({ ...summaryToWire(s), trials: s.trials.map(trialToWire) });

const TRIAL_STATES = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAILED', 'INTERRUPTED'] as const satisfies readonly TrialState[];
const Scalar = z.union([z.number(), z.string(), z.boolean()]);
const When = z.record(z.string(), z.array(Scalar)).optional();

export const TrialOut = described<TrialWire>()(z.object({
  sweepId: z.string(),
  number: z.number().int().describe('0, 1, 2… in the order trials were handed out'),
  state: z.enum(TRIAL_STATES).describe('INTERRUPTED: its controller stopped; the next ask hands it out again'),
  params: z.record(z.string(), Scalar).describe('the active parameters only'),
  runId: z.string().describe('the tracked run of the latest attempt (a child of the sweep\'s run)'),
  value: MetricValueOut.optional().describe('COMPLETE: the objective\'s last value; PRUNED: its value where the trial was stopped'),
  step: z.number().int().optional(),
  checkedStep: z.number().int().describe('steps up to this one were judged by the early-stopping rule'),
  curve: z.array(z.tuple([z.number(), MetricValueOut])).optional().describe('[step, value] of the objective, kept when the trial ended'),
  reason: z.string().optional(),
  pid: z.number().int().optional(),
  host: z.string().optional(),
  attempts: z.number().int(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
}).meta({ id: 'SweepTrial' }));

const ParamOut = z.discriminatedUnion('type', [
  z.object({ name: z.string(), type: z.literal('uniform'), min: z.number(), max: z.number(), gridPoints: z.number().int().optional(), when: When }),
  z.object({ name: z.string(), type: z.literal('log_uniform'), min: z.number(), max: z.number(), gridPoints: z.number().int().optional(), when: When }),
  z.object({ name: z.string(), type: z.literal('int'), min: z.number(), max: z.number(), step: z.number(), log: z.boolean(), when: When }),
  z.object({ name: z.string(), type: z.literal('categorical'), values: z.array(Scalar), when: When }),
]);

const ConfigOut = z.object({
  method: z.enum(['grid', 'random', 'tpe']),
  metric: z.object({ name: z.string(), goal: z.enum(['minimize', 'maximize']) }),
  parameters: z.array(ParamOut).describe('in declaration order'),
  seed: z.number().int(),
  earlyStopping: z.discriminatedUnion('type', [
    z.object({ type: z.literal('median'), nStartupTrials: z.number(), nWarmupSteps: z.number(), intervalSteps: z.number(), nMinTrials: z.number() }),
    z.object({ type: z.literal('asha'), minResource: z.number(), reductionFactor: z.number(), minEarlyStoppingRate: z.number() }),
  ]).optional(),
  tpe: z.object({ nStartupTrials: z.number(), nEiCandidates: z.number() }),
  command: z.array(z.string()).optional(),
});

const summaryFields = {
  id: z.string(),
  name: z.string(),
  experimentId: z.string(),
  parentRunId: z.string().describe('the run every trial names as mlflow.parentRunId'),
  config: ConfigOut,
  maxTrials: z.number().int(),
  createdBy: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  state: z.enum(['RUNNING', 'FINISHED']).describe('FINISHED: every trial was handed out and none is running or interrupted'),
  counts: z.object(Object.fromEntries(TRIAL_STATES.map((s) => [s, z.number().int()])) as Record<TrialState, z.ZodNumber>),
  best: TrialOut.optional().describe('the complete trial with the best value (NaN never; the earliest on ties)'),
};

export const SweepSummaryOut = described<SummaryWire>()(z.object(summaryFields).meta({ id: 'SweepSummary' }));
export const SweepOut = described<DetailWire>()(z.object({ ...summaryFields, trials: z.array(TrialOut) }).meta({ id: 'Sweep' }));

export const ImportanceOut = described<Importance>()(z.object({
  params: z.array(z.object({
    name: z.string(),
    importance: z.number().describe('the share of the explained variance (all shares sum to 1; all 0 when the objective never varied)'),
    std: z.number().describe('standard deviation of the unnormalized fraction over the trees'),
  })).describe('most important first'),
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })).describe('parameters left out: conditional ones not active in every complete trial, single-valued ones'),
  trials: z.number().int().describe('complete trials with a finite objective the forest was fitted to'),
  seed: z.number().int(),
  nTrees: z.number().int(),
}).meta({ id: 'SweepImportance' }));

export const LeaseOut = described<SweepLease>()(z.object({
  sweepId: z.string(),
  controller: z.string().describe('the holder\'s id'),
  host: z.string(),
  pid: z.number().int(),
  acquiredAt: z.number(),
  expiresAt: z.number().describe('milliseconds since the epoch; the holder renews it while it runs'),
}).meta({ id: 'SweepLease' }));
