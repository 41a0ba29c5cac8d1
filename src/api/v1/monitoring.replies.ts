import { z } from 'zod';
import type { ColumnReport, DriftReport } from '../../domain/monitoring/analysis.js';
import type { DriftAttributions, DriftedFeature } from '../../domain/monitoring/drift-attributions.js';
import type { WindowSummary } from '../../domain/monitoring/monitoring.service.js';
import { STAT_TESTS } from '../../domain/monitoring/stat-tests.js';
import {
  ALERT_OPS, TABLE_FORMATS, WINDOW_KINDS, type AlertEvent, type AlertRule, type Delivery, type Monitor, type MonitorWindow, type RetrainRequest, type WindowResult,
} from '../../domain/monitoring/types.js';
import { described, MetricValueOut } from './replies.js';

/** A test's statistic may be infinite (chi-square with an empty expected bin); JSON has no infinity, so it goes out as a string. */
type WireStatistic = z.output<typeof MetricValueOut>;
type ColumnReportWire = Omit<ColumnReport, 'drift'> & { drift: Omit<ColumnReport['drift'], 'statistic'> & { statistic?: WireStatistic } };
export type DriftReportWire = Omit<DriftReport, 'columns' | 'predictionDrift'> & { columns: ColumnReportWire[]; predictionDrift?: ColumnReportWire };

/** Monitors, windows, drift reports, alert rules, deliveries and retrain requests as the native API sends them. */
const Time = z.number().describe('milliseconds since the epoch');
const FeatureType = z.enum(['numeric', 'categorical']);
const StatTest = z.enum(STAT_TESTS);

/** A monitor's drift settings: what a client sends when creating one is what it reads back. */
export const ColumnSpec = z.object({ name: z.string().min(1), type: FeatureType });
const Threshold = z.number().finite().nonnegative();
export const DriftConfig = {
  stattest: StatTest.optional(),
  threshold: Threshold.optional(),
  driftShare: z.number().gt(0).lte(1).optional(),
  perColumn: z.record(z.string(), z.object({ stattest: StatTest.optional(), threshold: Threshold.optional() })).optional(),
};
export const MonitorConfig = z.object({
  features: z.array(ColumnSpec).optional(),
  predictionColumn: z.string().min(1).optional(),
  idColumn: z.string().min(1).optional(),
  task: z.enum(['classification', 'regression']).optional(),
  excludeColumns: z.array(z.string()).optional(),
  ...DriftConfig,
});

export const MonitorOut = described<Monitor>()(z.object({
  monitorId: z.string(),
  name: z.string(),
  modelName: z.string().nullable(),
  modelVersion: z.string().nullable(),
  window: z.enum(WINDOW_KINDS),
  config: MonitorConfig,
  referenceRows: z.number().int(),
  referenceSource: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('rows') }),
    z.object({ kind: z.literal('upload'), format: z.enum(TABLE_FORMATS) }),
    z.object({ kind: z.literal('dataset'), dataset: z.string(), version: z.number().int(), versionId: z.string(), path: z.string() }),
    z.object({ kind: z.literal('uri'), uri: z.string() }),
  ]).optional().describe('absent until a reference is set'),
  createdBy: z.string(),
  createdAt: Time,
  updatedAt: Time,
}).meta({ id: 'Monitor' }));

export const WindowOut = described<MonitorWindow>()(z.object({
  windowId: z.string(),
  monitorId: z.string(),
  start: Time,
  end: Time,
  status: z.enum(['open', 'closed']),
  rows: z.number().int(),
  datasetDriftShare: z.number().nullable(),
  datasetDrift: z.boolean().nullable(),
  closedAt: Time.nullable(),
}).meta({ id: 'MonitorWindow' }));

const Figures = z.record(z.string(), z.number()).describe('every figure alert rules and Prometheus can name: dataset_drift_share, drift_score:age, …');
export const WindowSummaryOut = described<WindowSummary>()(WindowOut.extend({ figures: Figures.optional() }).meta({ id: 'MonitorWindowSummary' }));

const Side = z.object({
  rows: z.number().int(), missing: z.number().int(), missingShare: z.number(), typeMismatches: z.number().int(), nonFinite: z.number().int().optional(),
  min: z.number().optional(), max: z.number().optional(), mean: z.number().optional(), std: z.number().optional(), distinct: z.number().int().optional(),
});
const ColumnReport = z.object({
  name: z.string(),
  type: FeatureType,
  role: z.enum(['feature', 'prediction']),
  drift: z.object({
    test: StatTest,
    testName: z.string(),
    scoreKind: z.enum(['p_value', 'distance']),
    score: z.number().nullable().describe('the p-value or the distance the verdict is made on'),
    statistic: MetricValueOut.optional().describe('the test\'s statistic; "Infinity" where it is infinite (chi-square with an empty expected bin)'),
    threshold: z.number(),
    drifted: z.boolean().nullable(),
    chosenBy: z.enum(['default', 'configured']),
    method: z.string().optional(),
    binning: z.string().optional(),
    note: z.string().optional(),
    reason: z.string().optional().describe('why no verdict was given'),
  }),
  quality: z.object({
    reference: Side,
    current: Side,
    newCategories: z.object({ rows: z.number().int(), values: z.array(z.string()) }).optional(),
    outOfRange: z.object({ rows: z.number().int(), share: z.number() }).optional(),
  }),
  histogram: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('numeric'), edges: z.array(z.number()), reference: z.array(z.number()), current: z.array(z.number()) }),
    z.object({ kind: z.literal('categorical'), labels: z.array(z.string()), reference: z.array(z.number()), current: z.array(z.number()) }),
  ]).optional().describe('shares per bin of each side'),
}).meta({ id: 'ColumnDriftReport' });

export const DriftReportOut = described<DriftReportWire>()(z.object({
  referenceRows: z.number().int(),
  currentRows: z.number().int(),
  datasetDrift: z.object({
    drifted: z.boolean().nullable(), driftedColumns: z.number().int(), testedColumns: z.number().int(), share: z.number().nullable(), threshold: z.number(),
  }),
  columns: z.array(ColumnReport),
  predictionDrift: ColumnReport.optional(),
  findings: z.array(z.object({
    severity: z.enum(['info', 'warning', 'error']),
    code: z.enum(['empty_window', 'empty_reference', 'missing_column', 'extra_column', 'all_missing', 'constant_column', 'type_mismatch', 'new_categories', 'out_of_range', 'non_finite', 'test_not_applicable', 'type_differs']),
    column: z.string().optional(),
    message: z.string(),
  })),
}).meta({ id: 'DriftReport' }));

const WindowResultOut = described<Omit<WindowResult, 'report'> & { report: DriftReportWire }>()(z.object({
  report: DriftReportOut,
  performance: z.object({ labelled: z.number().int(), accuracy: z.number().optional(), mae: z.number().optional(), rmse: z.number().optional() }).optional(),
  figures: Figures,
}));
export const WindowWithResult = WindowOut.extend({ result: WindowResultOut.nullable().describe('null while the window is open') });

export const IngestedOut = z.object({ window: WindowSummaryOut.describe('the window the rows went into'), closed: z.array(WindowSummaryOut).describe('windows this batch closed') });
export const LabelsOut = z.object({ stored: z.number().int(), windowsUpdated: z.number().int() });
export const ClosedOut = z.object({ closed: z.array(WindowSummaryOut) });

/** A rule as listed: its webhook secret is shown once, when the rule is created, and never again. */
export const AlertRuleOut = described<Omit<AlertRule, 'webhookSecret'>>()(z.object({
  ruleId: z.string(),
  monitorId: z.string(),
  name: z.string(),
  figure: z.string(),
  op: z.enum(ALERT_OPS),
  threshold: z.number(),
  forWindows: z.number().int().describe('consecutive windows the condition must hold before the rule fires'),
  webhookUrl: z.string().nullable(),
  retrain: z.object({ webhookUrl: z.string().optional(), command: z.array(z.string()).optional(), cooldownMs: z.number().int() }).nullable(),
  state: z.enum(['inactive', 'pending', 'firing', 'resolved']),
  consecutive: z.number().int(),
  stateSince: Time,
  lastValue: z.number().nullable(),
  silencedUntil: Time.nullable(),
  silenceReason: z.string().nullable(),
  lastRetrainAt: Time.nullable(),
  createdAt: Time,
}).meta({ id: 'AlertRule' }));
export const CreatedAlertRuleOut = described<AlertRule>()(AlertRuleOut.extend({ webhookSecret: z.string().describe('signs every delivery (HMAC-SHA256); shown only now') }));

const DriftedFeatureOut = described<DriftedFeature>()(z.object({
  feature: z.string(), test: z.string(), scoreKind: z.enum(['p_value', 'distance']), score: z.number().nullable(), threshold: z.number(), drifted: z.boolean().nullable(),
  rank: z.number().int().optional().describe("the feature's place in the model's global importance, 1 the strongest"),
  attribution: z.number().optional().describe("the explanation's global value of the feature: mean |SHAP| or permutation importance"),
}));

export const DriftAttributionsOut = described<DriftAttributions>()(z.object({
  model: z.object({ name: z.string(), version: z.string().nullable() }).nullable(),
  explanation: z.object({ id: z.string(), method: z.enum(['tree_shap', 'kernel_shap', 'permutation']), features: z.number().int(), createdAt: Time }).nullable()
    .describe("the model version's newest stored explanation"),
  link: z.string().nullable().describe("the model version's page in the web UI, at its explanation"),
  features: z.array(DriftedFeatureOut).describe('the features the rule is about, strongest first'),
  note: z.string().optional(),
  command: z.string().optional().describe('how to compute the missing explanation'),
}));

export const AlertRuleWithEvents = AlertRuleOut.extend({
  drift: DriftAttributionsOut.extend({ windowId: z.string() }).nullable()
    .describe('for a drift rule that has fired: the drifted features of the window it last fired on, with their attributions'),
  events: z.array(described<AlertEvent>()(z.object({
    eventId: z.string(), ruleId: z.string(), monitorId: z.string(), windowId: z.string(), state: z.enum(['inactive', 'pending', 'firing', 'resolved']),
    value: z.number().nullable(), silenced: z.boolean(), at: Time,
  }))),
});

export const MonitorStatusOut = z.object({
  monitor: MonitorOut,
  latest: WindowSummaryOut.nullable().describe('the latest closed window'),
  openWindows: z.array(WindowOut),
  alerts: z.array(AlertRuleOut),
});

export const DeliveryOut = described<Omit<Delivery, 'secret'>>()(z.object({
  deliveryId: z.string(),
  monitorId: z.string(),
  ruleId: z.string().nullable(),
  kind: z.enum(['alert', 'retrain']),
  url: z.string(),
  payload: z.string().describe('the JSON body sent'),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: Time,
  lastError: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  createdAt: Time,
  deliveredAt: Time.nullable(),
}).meta({ id: 'WebhookDelivery' }));

export const RetrainRequestOut = described<RetrainRequest>()(z.object({
  requestId: z.string(),
  monitorId: z.string(),
  ruleId: z.string(),
  windowId: z.string(),
  target: z.string(),
  status: z.enum(['requested', 'started', 'delivered', 'failed', 'completed']),
  detail: z.string().nullable(),
  createdAt: Time,
}).meta({ id: 'RetrainRequest' }));
