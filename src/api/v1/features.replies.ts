import { z } from 'zod';
import type { MaterializeResult, ViewSummary } from '../../domain/features/feature.service.js';
import type { SkewReport } from '../../domain/features/skew.js';
import type { OnlineResult, PlanItem } from '../../domain/features/types.js';
import { described } from './replies.js';

const Source = z.union([
  z.object({ kind: z.literal('dataset'), dataset: z.string(), timestampField: z.string(), createdField: z.string().optional() }),
  z.object({ kind: z.literal('path'), path: z.string(), timestampField: z.string(), createdField: z.string().optional() }),
  z.object({ kind: z.literal('s3'), uri: z.string(), timestampField: z.string(), createdField: z.string().optional() }),
]);
const FeatureType = z.enum(['int64', 'float64', 'string', 'bool']);

const PlanItemOut = described<PlanItem>()(z.object({
  kind: z.enum(['entity', 'feature_view']), name: z.string(), action: z.enum(['create', 'update', 'delete', 'unchanged']),
  fromVersion: z.number().optional(), toVersion: z.number().optional(), changes: z.array(z.string()),
}));
export const ApplyOut = z.object({ plan: z.array(PlanItemOut), applied: z.boolean() });

const ViewSummaryOut = described<ViewSummary>()(z.object({
  name: z.string(), version: z.number(), entity: z.string(), features: z.array(z.string()), ttlSeconds: z.number(), owner: z.string().optional(),
  tags: z.record(z.string(), z.string()), source: Source, createdAt: z.number(), createdBy: z.string(),
  materializedUntil: z.number().optional(), materializedAt: z.number().optional(), stalenessSeconds: z.number().optional(), stale: z.boolean(),
}).meta({ id: 'FeatureView' }));
export const ViewListOut = z.object({ items: z.array(ViewSummaryOut) });
const FeatureSkewOut = z.object({
  feature: z.string(), rows: z.number(), mismatches: z.number(), mismatchRate: z.number(), nullMismatches: z.number(), meanAbsoluteDifference: z.number().optional(),
  distribution: z.object({ test: z.literal('ks'), pValue: z.number(), statistic: z.number() }).optional(),
  examples: z.array(z.object({ row: z.number(), served: z.unknown(), offline: z.unknown() })),
});
export const ViewDetailOut = ViewSummaryOut.extend({
  lastSkewReport: z.object({ view: z.string(), rows: z.number(), tolerance: z.number(), features: z.array(FeatureSkewOut), checkedBy: z.string(), checkedAt: z.number() }).optional()
    .describe("the latest skew check that covered this view's features"),
  versions: z.array(z.object({ version: z.number(), createdAt: z.number(), createdBy: z.string(), digest: z.string() })),
  entityDef: z.object({ name: z.string(), joinKeys: z.array(z.object({ name: z.string(), type: z.enum(['int64', 'string']) })), description: z.string().optional() }).optional(),
  definition: z.object({
    name: z.string(), entity: z.string(), source: Source, schema: z.array(z.object({ name: z.string(), type: FeatureType })),
    derived: z.array(z.object({ name: z.string(), expression: z.string() })), ttlSeconds: z.number(), owner: z.string().optional(), tags: z.record(z.string(), z.string()), description: z.string().optional(),
  }),
});

export const HistoricalOut = z.object({
  rows: z.array(z.record(z.string(), z.unknown())), trainingSet: z.string().describe('the lineage id of the training set, or name@version once registered as a dataset version'), features: z.array(z.string()),
  dataset: z.object({ id: z.string(), name: z.string(), version: z.number() }).optional().describe('the dataset version the training set was registered as (with `dataset`)'),
});

const MaterializeItem = described<MaterializeResult>()(z.object({ view: z.string(), start: z.number().optional(), end: z.number(), rows: z.number() }));
export const MaterializeOut = z.object({ items: z.array(MaterializeItem) });

export const OnlineOut = described<OnlineResult>()(z.object({
  features: z.array(z.string()),
  rows: z.array(z.object({
    entity: z.record(z.string(), z.unknown()),
    values: z.record(z.string(), z.object({ value: z.unknown(), status: z.enum(['PRESENT', 'NULL_VALUE', 'NOT_FOUND', 'OUTSIDE_MAX_AGE']), eventTime: z.number().optional() })),
  })),
  warnings: z.array(z.string()),
}));

export const SkewOut = described<SkewReport>()(z.object({ rows: z.number(), tolerance: z.number(), features: z.array(FeatureSkewOut) }));
export const LoggedSkewOut = SkewOut.extend({ deployment: z.string() });
