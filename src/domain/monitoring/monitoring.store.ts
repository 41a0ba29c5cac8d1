/** Persistence for monitoring, in domain terms; one implementation serves SQLite and PostgreSQL. */
import type {
  AlertEvent, AlertRule, AlertState, BatchContent, Delivery, Monitor, MonitorConfig, MonitorWindow, ReferenceSource, RetrainRequest, StoredBatch, WindowKind, WindowResult,
} from './types.js';

export interface NewMonitor {
  readonly monitorId: string;
  readonly name: string;
  readonly modelName: string | null;
  readonly modelVersion: string | null;
  readonly window: WindowKind;
  readonly config: MonitorConfig;
  readonly createdBy: string;
  readonly now: number;
}

export type NewBatch = BatchContent & { readonly batchId: string; readonly rows: number };

export type NewWindowBatch = NewBatch & {
  readonly monitorId: string;
  /** Time windows are found again by their key (the start, as text); batch windows get a fresh one. */
  readonly windowKey: string;
  readonly newWindowId: string;
  readonly start: number;
  readonly end: number;
  readonly now: number;
};

export type AlertRuleUpdate = Pick<AlertRule, 'state' | 'consecutive' | 'stateSince' | 'lastValue'> & { readonly lastRetrainAt?: number };

export interface MonitoringStore {
  createMonitor(m: NewMonitor): Promise<void>;
  getMonitor(idOrName: string): Promise<Monitor | undefined>;
  listMonitors(): Promise<Monitor[]>;
  deleteMonitor(monitorId: string): Promise<void>;
  /** Replaces the reference in one transaction; returns the files of the reference it replaced, for the caller to delete. */
  replaceReference(monitorId: string, batches: readonly NewBatch[], source: ReferenceSource, now: number): Promise<string[]>;
  referenceBatches(monitorId: string): Promise<StoredBatch[]>;

  /** Adds a batch to the window with this key, opening it (again) if needed; returns the window. */
  appendToWindow(b: NewWindowBatch): Promise<MonitorWindow>;
  windowBatches(windowId: string): Promise<StoredBatch[]>;
  getWindow(monitorId: string, windowId: string): Promise<(MonitorWindow & { result: WindowResult | null }) | undefined>;
  listWindows(monitorId: string, limit: number): Promise<MonitorWindow[]>;
  openWindows(monitorId: string): Promise<MonitorWindow[]>;
  closeWindow(windowId: string, result: WindowResult, now: number): Promise<void>;
  /** The newest closed window of every monitor, for Prometheus. */
  latestResults(): Promise<{ monitor: Monitor; window: MonitorWindow; result: WindowResult }[]>;

  upsertLabels(monitorId: string, labels: readonly { predictionId: string; label: unknown }[], now: number): Promise<void>;
  labelsFor(monitorId: string, predictionIds: readonly string[]): Promise<Map<string, unknown>>;

  createAlertRule(rule: AlertRule): Promise<void>;
  getAlertRule(ruleId: string): Promise<AlertRule | undefined>;
  listAlertRules(filter: { monitorId?: string; state?: AlertState }): Promise<AlertRule[]>;
  deleteAlertRule(ruleId: string): Promise<void>;
  updateAlertRule(ruleId: string, update: AlertRuleUpdate): Promise<void>;
  silenceAlertRule(ruleId: string, until: number | null, reason: string | null): Promise<void>;
  addAlertEvent(e: AlertEvent): Promise<void>;
  listAlertEvents(ruleId: string, limit: number): Promise<AlertEvent[]>;

  enqueueDelivery(d: Delivery): Promise<void>;
  /** Claims up to `limit` due deliveries by pushing their next attempt past `leaseUntil`; replicas never share one. */
  claimDueDeliveries(now: number, leaseUntil: number, limit: number): Promise<Delivery[]>;
  recordDeliveryAttempt(deliveryId: string, outcome: { status: Delivery['status']; attempts: number; nextAttemptAt: number; lastError: string | null; lastStatus: number | null; deliveredAt: number | null }): Promise<void>;
  listDeliveries(monitorId: string, limit: number): Promise<Delivery[]>;

  addRetrainRequest(r: RetrainRequest): Promise<void>;
  updateRetrainRequest(requestId: string, status: RetrainRequest['status'], detail: string | null): Promise<void>;
  listRetrainRequests(monitorId: string, limit: number): Promise<RetrainRequest[]>;
  getRetrainRequest(requestId: string): Promise<RetrainRequest | undefined>;
}
