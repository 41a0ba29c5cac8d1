/** Monitoring domain: monitors over a model version, their windows, alert rules and what they set off. */
import type { ColumnSpec, DriftOptions, DriftReport } from './analysis.js';
import type { StatTestName } from './stat-tests.js';

export const WINDOW_KINDS = ['batch', 'hour', 'day'] as const;
export type WindowKind = (typeof WINDOW_KINDS)[number];
export const WINDOW_MS: Record<Exclude<WindowKind, 'batch'>, number> = { hour: 3_600_000, day: 86_400_000 };

export interface MonitorConfig {
  /** Features and their types; inferred from the reference when not given. */
  readonly features?: readonly ColumnSpec[];
  readonly predictionColumn?: string;
  /** Joins delayed ground truth to predictions. */
  readonly idColumn?: string;
  readonly task?: 'classification' | 'regression';
  readonly excludeColumns?: readonly string[];
  readonly stattest?: StatTestName;
  readonly threshold?: number;
  readonly driftShare?: number;
  readonly perColumn?: DriftOptions['perColumn'];
}

/** Where a monitor's reference came from; its rows are stored with the monitor whatever the source. */
export type ReferenceSource =
  | { readonly kind: 'rows' }
  | { readonly kind: 'upload'; readonly format: TableFormat }
  | { readonly kind: 'dataset'; readonly dataset: string; readonly version: number; readonly versionId: string; readonly path: string }
  | { readonly kind: 'uri'; readonly uri: string };

export const TABLE_FORMATS = ['csv', 'parquet'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

export interface Monitor {
  readonly monitorId: string;
  readonly name: string;
  readonly modelName: string | null;
  readonly modelVersion: string | null;
  readonly window: WindowKind;
  readonly config: MonitorConfig;
  readonly referenceRows: number;
  /** Absent until a reference is set. */
  readonly referenceSource?: ReferenceSource;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Columns as arrays of equal length: how small batches travel (JSON) and are stored. */
export type ColumnarBatch = Readonly<Record<string, readonly unknown[]>>;

/** A stored batch: small JSON batches in the database, uploaded tables as a Parquet file in the artifact store. */
export type StoredBatch =
  | { readonly kind: 'rows'; readonly batchId: string; readonly batch: ColumnarBatch }
  | { readonly kind: 'file'; readonly batchId: string; readonly path: string; readonly rows: number };

/** What a new batch holds: its columns, or the artifact path of its Parquet file. */
export type BatchContent = { readonly batch: ColumnarBatch; readonly file?: undefined } | { readonly file: string; readonly batch?: undefined };

export interface Performance {
  readonly labelled: number;
  readonly accuracy?: number;
  readonly mae?: number;
  readonly rmse?: number;
}

export interface WindowResult {
  readonly report: DriftReport;
  readonly performance?: Performance;
  /** Every figure alert rules and Prometheus can name, flattened: `dataset_drift_share`, `drift_score:age`, … */
  readonly figures: Readonly<Record<string, number>>;
}

export type WindowStatus = 'open' | 'closed';

export interface MonitorWindow {
  readonly windowId: string;
  readonly monitorId: string;
  readonly start: number;
  readonly end: number;
  readonly status: WindowStatus;
  readonly rows: number;
  readonly datasetDriftShare: number | null;
  readonly datasetDrift: boolean | null;
  readonly closedAt: number | null;
}

export const ALERT_OPS = ['>', '>=', '<', '<='] as const;
export type AlertOp = (typeof ALERT_OPS)[number];
export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface RetrainTrigger {
  /** Called once when the rule starts firing, at most once per cooldown. */
  readonly webhookUrl?: string;
  /** Run once, without a shell, when the rule starts firing; needs MANAGE on the server. */
  readonly command?: readonly string[];
  readonly cooldownMs: number;
}

export interface AlertRule {
  readonly ruleId: string;
  readonly monitorId: string;
  readonly name: string;
  readonly figure: string;
  readonly op: AlertOp;
  readonly threshold: number;
  /** Consecutive windows the condition must hold before the rule fires. */
  readonly forWindows: number;
  readonly webhookUrl: string | null;
  /** Signs every delivery of this rule (HMAC-SHA256); shown once, when the rule is created. */
  readonly webhookSecret: string;
  readonly retrain: RetrainTrigger | null;
  readonly state: AlertState;
  readonly consecutive: number;
  readonly stateSince: number;
  readonly lastValue: number | null;
  readonly silencedUntil: number | null;
  readonly silenceReason: string | null;
  readonly lastRetrainAt: number | null;
  readonly createdAt: number;
}

export interface AlertEvent {
  readonly eventId: string;
  readonly ruleId: string;
  readonly monitorId: string;
  readonly windowId: string;
  readonly state: AlertState;
  readonly value: number | null;
  readonly silenced: boolean;
  readonly at: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  readonly deliveryId: string;
  readonly monitorId: string;
  readonly ruleId: string | null;
  readonly kind: 'alert' | 'retrain';
  readonly url: string;
  readonly secret: string;
  readonly payload: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

export interface RetrainRequest {
  readonly requestId: string;
  readonly monitorId: string;
  readonly ruleId: string;
  readonly windowId: string;
  readonly target: string;
  /** `completed` once the retraining reported back (its run, the model version it registered). */
  readonly status: 'requested' | 'started' | 'delivered' | 'failed' | 'completed';
  readonly detail: string | null;
  readonly createdAt: number;
}
