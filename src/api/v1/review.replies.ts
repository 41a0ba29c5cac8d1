import { z } from 'zod';
import type { ExportResult } from '../../domain/review/review.service.js';
import { ITEM_REASONS, ITEM_SOURCES, QUEUE_SCOPES, type Agreement, type QueueStats, type ReviewItem, type ReviewQueue } from '../../domain/review/types.js';
import { described } from './replies.js';

/** Review queues as the native API sends them: the domain's shapes, unchanged. */
const Time = z.number().describe('milliseconds since the epoch');

const Spec = z.object({
  labels: z.array(z.string()), instructions: z.string().optional(), sampleRate: z.number().optional(),
  lowConfidence: z.object({ threshold: z.number(), output: z.string().optional() }).optional(), rule: z.string().optional(),
  reviewers: z.array(z.string()), overlap: z.number(), reviewersPerItem: z.number().int(),
});

export const ReviewQueueOut = described<ReviewQueue>()(z.object({
  name: z.string(), project: z.string(), scope: z.enum(QUEUE_SCOPES), target: z.string().optional(), description: z.string().optional(), spec: Spec,
  cursor: Time.describe('the newest source time pulled so far'), createdBy: z.string(), createdAt: Time,
}).meta({ id: 'ReviewQueue' }));

export const QueueStatsOut = described<QueueStats>()(z.object({
  items: z.number().int(), labelled: z.number().int().describe('items with at least one label'),
  complete: z.number().int().describe('items with as many labels as reviewers assigned'), labelCounts: z.record(z.string(), z.number().int()),
  reviewers: z.array(z.object({ reviewer: z.string(), assigned: z.number().int(), labelled: z.number().int() })),
}).meta({ id: 'ReviewQueueStats' }));

export const ReviewItemOut = described<ReviewItem>()(z.object({
  id: z.string(), queue: z.string(),
  source: z.object({ kind: z.enum(ITEM_SOURCES), id: z.string(), deployment: z.string().optional(), model: z.string().optional(), version: z.string().optional() }),
  reason: z.enum(ITEM_REASONS), fields: z.record(z.string(), z.unknown()), predicted: z.string().optional(), confidence: z.number().optional(),
  assigned: z.array(z.string()), time: Time, createdAt: Time,
  labels: z.array(z.object({ reviewer: z.string(), label: z.string(), comment: z.string().optional(), at: Time })),
}).meta({ id: 'ReviewItem' }));

export const AgreementOut = described<Agreement>()(z.object({
  items: z.number().int().describe('items labelled by two or more reviewers'), reviewers: z.array(z.string()),
  observed: z.number().describe('mean share of agreeing reviewer pairs per item'),
  fleiss: z.object({ kappa: z.number().nullable().describe("Fleiss' kappa; null when only one label was used"), expected: z.number(), interpretation: z.string() }),
  pairs: z.array(z.object({ reviewers: z.tuple([z.string(), z.string()]), items: z.number().int(), observed: z.number(), kappa: z.number().nullable().describe("Cohen's kappa") })),
}).meta({ id: 'ReviewAgreement' }));

export const ExportOut = described<ExportResult>()(z.object({
  dataset: z.object({ id: z.string(), name: z.string(), version: z.number().int() }), rows: z.number().int(),
  skipped: z.object({ unlabelled: z.number().int(), tooFewLabels: z.number().int(), ties: z.number().int() }),
}).meta({ id: 'ReviewExport' }));
