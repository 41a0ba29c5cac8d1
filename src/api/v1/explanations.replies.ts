import { z } from 'zod';
import { IMPORTANCE_METRICS } from '../../domain/explain/permutation-importance.js';
import { EXPLAIN_METHODS, type Explanation, type ExplanationSummary } from '../../domain/explain/types.js';
import { described } from './replies.js';

/** Explanations as the native API sends them: the domain's shapes, unchanged. */
const Time = z.number().describe('milliseconds since the epoch');
const ModelRef = z.object({ name: z.string(), version: z.number().int() });
const Method = z.enum(EXPLAIN_METHODS);
const Global = z.array(z.object({ feature: z.string(), meanAbs: z.number().describe('mean |attribution| over the explained rows') }));
const Attributions = {
  expectedValue: z.number().describe('E[f]: the output the attributions start from'),
  values: z.array(z.array(z.number())).describe('one row per explained row, one value per feature'),
  global: Global,
  additivityError: z.number().describe('largest |Σφ − (f(x) − E[f])| over the rows'),
};

const Spec = z.object({
  methods: z.array(Method), features: z.array(z.string()).optional(), label: z.string().optional(), output: z.string().optional(),
  targetClass: z.string().optional(), metric: z.enum(IMPORTANCE_METRICS).optional(), repeats: z.number().int(), confidence: z.number(),
  seed: z.number().int(), rows: z.number().int(), background: z.number().int(), budget: z.number().int(), gridResolution: z.number().int(),
  pdFeatures: z.array(z.string()).optional(),
});

const Result = z.object({
  features: z.array(z.string()),
  output: z.object({ name: z.string(), column: z.number().int().optional(), class: z.string().optional() }),
  dataRows: z.number().int(),
  rows: z.array(z.number().int()).describe('indices of the explained rows in the data'),
  data: z.array(z.array(z.number())).describe('the explained rows\' feature values'),
  predictions: z.array(z.number()).describe('the model\'s output for the explained rows'),
  permutation: z.object({
    metric: z.enum(IMPORTANCE_METRICS), greaterIsBetter: z.boolean(), baseline: z.number(), repeats: z.number().int(), confidence: z.number(),
    importances: z.array(z.object({
      feature: z.string(), mean: z.number().describe('mean drop in the metric when the feature is shuffled'), std: z.number().describe('over repeats, ddof = 0 (scikit-learn)'),
      ci: z.object({ lower: z.number(), upper: z.number() }).describe('Student-t interval of the mean'), values: z.array(z.number()),
    })),
  }).optional(),
  kernelShap: z.object({
    ...Attributions, exact: z.boolean().describe('every coalition enumerated'), coalitions: z.number().int(), backgroundRows: z.number().int(), budget: z.number().int(),
  }).optional(),
  treeShap: z.object({
    ...Attributions, space: z.enum(['output', 'margin']), postTransform: z.string(), covers: z.enum(['model', 'data']), trees: z.number().int(),
    predictions: z.array(z.number()).describe('the ensemble\'s output in `space` for the explained rows'),
  }).optional(),
  partialDependence: z.array(z.object({ feature: z.string(), grid: z.array(z.number()), average: z.array(z.number()) })).optional(),
  notes: z.array(z.string()),
});

export const ExplanationOut = described<Explanation>()(z.object({
  id: z.string(), model: ModelRef, dataName: z.string(), createdAt: Time, createdBy: z.string(), spec: Spec, result: Result,
}).meta({ id: 'Explanation' }));

export const ExplanationSummaryOut = described<ExplanationSummary>()(z.object({
  id: z.string(), model: ModelRef, dataName: z.string(), createdAt: Time, createdBy: z.string(), methods: z.array(Method),
}).meta({ id: 'ExplanationSummary' }));
