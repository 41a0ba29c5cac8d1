import { z } from 'zod';
import type { ModelCard } from '../../domain/evaluation/model-card.js';
import { CARD_FIELDS, TASKS, type Comparison, type Evaluation, type EvaluationSummary } from '../../domain/evaluation/types.js';
import { described } from './replies.js';

/** Evaluations, comparisons and model cards as the native API sends them: the domain's shapes, unchanged. */
const Time = z.number().describe('milliseconds since the epoch');
const Task = z.enum(TASKS);
const Interval = z.object({
  lower: z.number(), upper: z.number(), resamples: z.number().int().describe('resamples in which the metric was defined; the interval is taken over those'),
});
/** A metric's value, or why it has none (AUC with one class, precision with no predicted positives): never NaN or a silent 0. */
const Defined = z.object({ value: z.number(), reason: z.never().optional() });
const Undefined = z.object({ value: z.null(), reason: z.string() });
const MetricValue = z.union([Defined, Undefined]).meta({ id: 'MetricValue' });
const Estimate = z.union([Defined.extend({ ci: Interval.optional() }), Undefined.extend({ ci: Interval.optional() })]).meta({ id: 'Estimate' });
const Metrics = z.record(z.string(), Estimate);
const CurvePoint = z.object({ x: z.number(), y: z.number(), threshold: z.number().optional().describe('the score cut; absent on the ROC curve\'s first point, where nothing is predicted positive') });
const Bootstrap = z.object({ resamples: z.number().int(), seed: z.number().int(), confidence: z.number(), method: z.string() });
const DatasetRef = z.object({
  name: z.string(), digest: z.string().describe('sha256 of the data as evaluated'), source: z.string().describe('an artifact path, a dataset version, or `inline`'), rows: z.number().int(),
});
const ModelRef = z.object({ name: z.string(), version: z.number().int() });
const Convention = z.enum(['fairlearn', 'aif360']);

const Fairness = z.object({
  attributes: z.array(z.object({
    attribute: z.string().describe('a sensitive column, or an intersection written `sex&race`'),
    columns: z.array(z.string()),
    groups: z.array(z.object({ group: z.string(), count: z.number().int(), privileged: z.boolean().optional(), metrics: Metrics })),
    fairlearn: Metrics.describe('Fairlearn\'s convention: unsigned, between groups (max − min, min / max)'),
    aif360: Metrics.optional().describe('AIF360\'s convention: signed, unprivileged against privileged; absent without a privileged group'),
    aif360ByGroup: z.array(z.object({ group: z.string(), count: z.number().int(), metrics: Metrics })).optional(),
    privilegedGroups: z.array(z.string()).optional(),
    checks: z.array(z.object({
      metric: z.string(), convention: Convention, value: z.number().nullable(), min: z.number().optional(), max: z.number().optional(),
      passed: z.boolean().nullable().describe('null when the metric is undefined on this attribute'), detail: z.string(),
    })),
    notes: z.array(z.string()),
  })),
  passed: z.boolean().nullable().describe('every check passed (null when some check could not be decided and none failed)'),
  conventions: z.object({ fairlearn: z.string(), aif360: z.string() }),
});

const EvaluationResult = z.object({
  task: Task,
  rows: z.number().int(),
  classes: z.array(z.string()).optional(),
  positiveLabel: z.string().optional(),
  threshold: z.number().optional(),
  metrics: Metrics,
  perClass: z.array(z.object({
    label: z.string(), support: z.number().int(), precision: MetricValue, recall: MetricValue, f1: MetricValue,
    rocAuc: MetricValue.optional(), averagePrecision: MetricValue.optional(),
  })).optional(),
  confusionMatrix: z.object({ labels: z.array(z.string()), matrix: z.array(z.array(z.number().int())) }).optional(),
  curves: z.object({
    roc: z.record(z.string(), z.array(CurvePoint)).optional().describe('false positive rate (x) against true positive rate (y); one-vs-rest per class for multiclass'),
    precisionRecall: z.record(z.string(), z.array(CurvePoint)).optional().describe('recall (x) against precision (y)'),
    calibration: z.array(z.object({ lower: z.number(), upper: z.number(), count: z.number().int(), meanPredicted: z.number(), fractionPositive: z.number() })).optional(),
    thresholds: z.array(z.object({
      threshold: z.number(), precision: z.number().nullable(), recall: z.number().nullable(), f1: z.number().nullable(),
      falsePositiveRate: z.number().nullable(), selectionRate: z.number(), accuracy: z.number(),
    })).optional(),
  }).optional(),
  residualQuantiles: z.record(z.string(), z.number()).optional(),
  queries: z.object({ count: z.number().int(), withoutRelevant: z.number().int() }).optional(),
  slices: z.array(z.object({
    columns: z.array(z.string()),
    groups: z.array(z.object({ key: z.record(z.string(), z.string()), label: z.string(), count: z.number().int(), metrics: Metrics })),
  })),
  fairness: Fairness.optional(),
  bootstrap: Bootstrap.optional(),
  notes: z.array(z.string()).describe('conventions and caveats that apply to these numbers'),
});

const Stored = {
  id: z.string(),
  name: z.string(),
  task: Task,
  runId: z.string().optional(),
  dataset: DatasetRef,
  createdAt: Time,
  createdBy: z.string(),
};

export const EvaluationOut = described<Evaluation>()(z.object({
  ...Stored,
  model: ModelRef.optional(),
  spec: z.record(z.string(), z.unknown()).describe('the request\'s options (columns, slices, sensitive attributes, thresholds), for the record'),
  result: EvaluationResult,
  artifacts: z.object({ json: z.string(), html: z.string() }).optional().describe('the reports among the run\'s artifacts, when logged to a run'),
}).meta({ id: 'Evaluation' }));

export const EvaluationSummaryOut = described<EvaluationSummary>()(z.object({
  ...Stored,
  model: ModelRef.optional(),
  artifacts: z.object({ json: z.string(), html: z.string() }).optional(),
  metrics: z.record(z.string(), z.number()).describe('the headline metrics, flattened'),
}).meta({ id: 'EvaluationSummary' }));

export const ComparisonOut = described<Comparison>()(z.object({
  ...Stored,
  candidate: ModelRef.optional(),
  baseline: ModelRef.optional(),
  spec: z.record(z.string(), z.unknown()),
  result: z.object({
    task: Task,
    rows: z.number().int(),
    deltas: z.array(z.object({
      metric: z.string(),
      higherIsBetter: z.boolean(),
      candidate: MetricValue,
      baseline: MetricValue,
      delta: Estimate.describe('candidate − baseline, with its paired-bootstrap interval'),
      pValue: z.number().nullable().describe('two-sided paired-bootstrap p-value for "no difference"'),
    })),
    mcnemar: z.object({
      candidateOnlyCorrect: z.number().int(), baselineOnlyCorrect: z.number().int(), exactPValue: z.number(), chi2Statistic: z.number(), chi2PValue: z.number(),
    }).optional(),
    bootstrap: Bootstrap.optional(),
    notes: z.array(z.string()),
  }),
}).meta({ id: 'Comparison' }));

const CardFields = z.partialRecord(z.enum(CARD_FIELDS), z.string());
const Block = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string() }),
  z.object({ kind: z.literal('fields'), rows: z.array(z.tuple([z.string(), z.string()])) }),
  z.object({ kind: z.literal('table'), columns: z.array(z.string()), rows: z.array(z.array(z.string())) }),
  z.object({ kind: z.literal('list'), items: z.array(z.string()) }),
  z.object({ kind: z.literal('human'), field: z.enum(CARD_FIELDS), label: z.string(), text: z.string().optional() }),
  z.object({ kind: z.literal('charts'), evaluationId: z.string() }),
  z.object({ kind: z.literal('warning'), text: z.string() }),
]);

export const ModelCardOut = described<ModelCard>()(z.object({
  model: z.string(),
  version: z.number().int(),
  generatedAt: Time,
  sections: z.array(z.object({ id: z.string(), title: z.string(), blocks: z.array(Block) })),
  human: CardFields.describe('the sections a person writes, kept when the rest is regenerated'),
  humanUpdatedAt: Time.optional(),
  humanUpdatedBy: z.string().optional(),
}).meta({ id: 'ModelCard' }));
