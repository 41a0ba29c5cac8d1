import type { Kysely } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { AlertRuleUpdate, MonitoringStore, NewBatch, NewMonitor, NewWindowBatch } from '../../domain/monitoring/monitoring.store.js';
import type {
  AlertEvent, AlertOp, AlertRule, AlertState, ColumnarBatch, Delivery, Monitor, MonitorWindow, ReferenceSource, RetrainRequest, StoredBatch, WindowKind, WindowResult,
} from '../../domain/monitoring/types.js';
import { isUniqueViolation, translateBusy, type DatabaseHandle } from '../db.js';
import type { Database, MonitoringTables } from '../schema.js';

type MonitorRow = MonitoringTables['monitors'];
type WindowRow = MonitoringTables['monitor_windows'];
type RuleRow = MonitoringTables['monitor_alert_rules'];
type DeliveryRow = MonitoringTables['monitor_deliveries'];

/** Labels per INSERT: 4 columns × 500 stays below both databases' bound-parameter limits. */
const LABEL_CHUNK = 500;

const monitorOut = (r: MonitorRow): Monitor => ({
  monitorId: r.monitor_id, name: r.name, modelName: r.model_name, modelVersion: r.model_version, window: r.window_kind as WindowKind,
  config: JSON.parse(r.config) as Monitor['config'], referenceRows: Number(r.reference_rows),
  ...(r.reference_source ? { referenceSource: JSON.parse(r.reference_source) as ReferenceSource } : {}), createdBy: r.created_by,
  createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
});

const windowOut = (r: WindowRow): MonitorWindow => ({
  windowId: r.window_id, monitorId: r.monitor_id, start: Number(r.window_start), end: Number(r.window_end), status: r.status as MonitorWindow['status'],
  rows: Number(r.row_count), datasetDriftShare: r.dataset_drift_share === null ? null : Number(r.dataset_drift_share),
  datasetDrift: r.dataset_drift === null ? null : Number(r.dataset_drift) === 1, closedAt: r.closed_at === null ? null : Number(r.closed_at),
});

const num = (v: number | null) => (v === null ? null : Number(v));

const retrainOut = (r: MonitoringTables['monitor_retrain_requests']): RetrainRequest => ({
  requestId: r.request_id, monitorId: r.monitor_id, ruleId: r.rule_id, windowId: r.window_id, target: r.target,
  status: r.status as RetrainRequest['status'], detail: r.detail, createdAt: Number(r.created_at),
});

/** A file batch keeps an empty payload: its rows are in the Parquet file it names. */
const batchRow = (b: NewBatch) => ({ payload: b.file === undefined ? JSON.stringify(b.batch) : '', file_path: b.file ?? null });

const storedBatch = (r: { batch_id: string; payload: string; file_path: string | null; row_count: number }): StoredBatch =>
  r.file_path !== null
    ? { kind: 'file', batchId: r.batch_id, path: r.file_path, rows: Number(r.row_count) }
    : { kind: 'rows', batchId: r.batch_id, batch: JSON.parse(r.payload) as ColumnarBatch };

const ruleOut = (r: RuleRow): AlertRule => ({
  ruleId: r.rule_id, monitorId: r.monitor_id, name: r.name, figure: r.figure, op: r.op as AlertOp, threshold: Number(r.threshold),
  forWindows: Number(r.for_windows), webhookUrl: r.webhook_url, webhookSecret: r.webhook_secret,
  retrain: r.retrain ? (JSON.parse(r.retrain) as AlertRule['retrain']) : null, state: r.state as AlertState, consecutive: Number(r.consecutive),
  stateSince: Number(r.state_since), lastValue: num(r.last_value), silencedUntil: num(r.silenced_until), silenceReason: r.silence_reason,
  lastRetrainAt: num(r.last_retrain_at), createdAt: Number(r.created_at),
});

const deliveryOut = (r: DeliveryRow): Delivery => ({
  deliveryId: r.delivery_id, monitorId: r.monitor_id, ruleId: r.rule_id, kind: r.kind as Delivery['kind'], url: r.url, secret: r.secret,
  payload: r.payload, status: r.status as Delivery['status'], attempts: Number(r.attempts), nextAttemptAt: Number(r.next_attempt_at),
  lastError: r.last_error, lastStatus: num(r.last_status), createdAt: Number(r.created_at), deliveredAt: num(r.delivered_at),
});

export class SqlMonitoringStore implements MonitoringStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  private async write<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw translateBusy(err);
    }
  }

  async createMonitor(m: NewMonitor): Promise<void> {
    try {
      await this.db
        .insertInto('monitors')
        .values({
          monitor_id: m.monitorId, name: m.name, model_name: m.modelName, model_version: m.modelVersion, window_kind: m.window,
          config: JSON.stringify(m.config), reference_rows: 0, reference_source: null, created_by: m.createdBy, created_at: m.now, updated_at: m.now,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Monitor '${m.name}'`);
      throw translateBusy(err);
    }
  }

  async getMonitor(idOrName: string): Promise<Monitor | undefined> {
    const row = await this.db
      .selectFrom('monitors')
      .selectAll()
      .where((eb) => eb.or([eb('monitor_id', '=', idOrName), eb('name', '=', idOrName)]))
      .orderBy('monitor_id')
      .executeTakeFirst();
    return row ? monitorOut(row) : undefined;
  }

  async listMonitors(): Promise<Monitor[]> {
    return (await this.db.selectFrom('monitors').selectAll().orderBy('name').execute()).map(monitorOut);
  }

  async deleteMonitor(monitorId: string): Promise<void> {
    await this.write(() => this.db.deleteFrom('monitors').where('monitor_id', '=', monitorId).execute());
  }

  async replaceReference(monitorId: string, batches: readonly NewBatch[], source: ReferenceSource, now: number): Promise<string[]> {
    return this.write(() =>
      this.db.transaction().execute(async (trx) => {
        const replaced = await trx.selectFrom('monitor_batches').select('file_path').where('monitor_id', '=', monitorId).where('window_id', 'is', null).execute();
        await trx.deleteFrom('monitor_batches').where('monitor_id', '=', monitorId).where('window_id', 'is', null).execute();
        for (const b of batches) {
          await trx
            .insertInto('monitor_batches')
            .values({ batch_id: b.batchId, monitor_id: monitorId, window_id: null, row_count: b.rows, ...batchRow(b), received_at: now })
            .execute();
        }
        const rows = batches.reduce((a, b) => a + b.rows, 0);
        await trx.updateTable('monitors').set({ reference_rows: rows, reference_source: JSON.stringify(source), updated_at: now }).where('monitor_id', '=', monitorId).execute();
        return replaced.flatMap((r) => (r.file_path === null ? [] : [r.file_path]));
      }),
    );
  }

  async referenceBatches(monitorId: string): Promise<StoredBatch[]> {
    const rows = await this.db
      .selectFrom('monitor_batches')
      .select(['batch_id', 'payload', 'file_path', 'row_count'])
      .where('monitor_id', '=', monitorId)
      .where('window_id', 'is', null)
      .orderBy('batch_id')
      .execute();
    return rows.map(storedBatch);
  }

  async appendToWindow(b: NewWindowBatch): Promise<MonitorWindow> {
    return this.write(() =>
      this.db.transaction().execute(async (trx) => {
        let window = await trx.selectFrom('monitor_windows').selectAll().where('monitor_id', '=', b.monitorId).where('window_key', '=', b.windowKey).executeTakeFirst();
        if (!window) {
          window = {
            window_id: b.newWindowId, monitor_id: b.monitorId, window_key: b.windowKey, window_start: b.start, window_end: b.end, status: 'open',
            row_count: 0, dataset_drift_share: null, dataset_drift: null, result: null, closed_at: null,
          };
          await trx.insertInto('monitor_windows').values(window).execute();
        }
        const rowCount = Number(window.row_count) + b.rows;
        // Late rows reopen a closed window; its figures are computed again when it next closes.
        await trx.updateTable('monitor_windows').set({ row_count: rowCount, status: 'open' }).where('window_id', '=', window.window_id).execute();
        await trx
          .insertInto('monitor_batches')
          .values({ batch_id: b.batchId, monitor_id: b.monitorId, window_id: window.window_id, row_count: b.rows, ...batchRow(b), received_at: b.now })
          .execute();
        return windowOut({ ...window, row_count: rowCount, status: 'open' });
      }),
    );
  }

  async windowBatches(windowId: string): Promise<StoredBatch[]> {
    const rows = await this.db
      .selectFrom('monitor_batches')
      .select(['batch_id', 'payload', 'file_path', 'row_count'])
      .where('window_id', '=', windowId)
      .orderBy('received_at')
      .orderBy('batch_id')
      .execute();
    return rows.map(storedBatch);
  }

  async getWindow(monitorId: string, windowId: string): Promise<(MonitorWindow & { result: WindowResult | null }) | undefined> {
    const row = await this.db.selectFrom('monitor_windows').selectAll().where('monitor_id', '=', monitorId).where('window_id', '=', windowId).executeTakeFirst();
    return row ? { ...windowOut(row), result: row.result ? (JSON.parse(row.result) as WindowResult) : null } : undefined;
  }

  async listWindows(monitorId: string, limit: number): Promise<MonitorWindow[]> {
    const rows = await this.db
      .selectFrom('monitor_windows')
      .selectAll()
      .where('monitor_id', '=', monitorId)
      .orderBy('window_start', 'desc')
      .orderBy('window_id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(windowOut);
  }

  async openWindows(monitorId: string): Promise<MonitorWindow[]> {
    const rows = await this.db.selectFrom('monitor_windows').selectAll().where('monitor_id', '=', monitorId).where('status', '=', 'open').orderBy('window_start').execute();
    return rows.map(windowOut);
  }

  async closeWindow(windowId: string, result: WindowResult, now: number): Promise<void> {
    const drift = result.report.datasetDrift;
    await this.write(() =>
      this.db
        .updateTable('monitor_windows')
        .set({
          status: 'closed', closed_at: now, result: JSON.stringify(result), dataset_drift_share: drift.share,
          dataset_drift: drift.drifted === null ? null : drift.drifted ? 1 : 0,
        })
        .where('window_id', '=', windowId)
        .execute(),
    );
  }

  async latestResults(): Promise<{ monitor: Monitor; window: MonitorWindow; result: WindowResult }[]> {
    const latest = this.db
      .selectFrom('monitor_windows')
      .select((eb) => ['monitor_id', eb.fn.max('closed_at').as('closed_at')])
      .where('status', '=', 'closed')
      .groupBy('monitor_id')
      .as('latest');
    const rows = await this.db
      .selectFrom('monitor_windows as w')
      .innerJoin(latest, (j) => j.onRef('latest.monitor_id', '=', 'w.monitor_id').onRef('latest.closed_at', '=', 'w.closed_at'))
      .innerJoin('monitors as m', 'm.monitor_id', 'w.monitor_id')
      .selectAll('w')
      .select(['m.name', 'm.model_name', 'm.model_version', 'm.window_kind', 'm.config', 'm.reference_rows', 'm.reference_source', 'm.created_by', 'm.created_at', 'm.updated_at'])
      .where('w.status', '=', 'closed')
      .execute();
    const seen = new Set<string>();
    const out: { monitor: Monitor; window: MonitorWindow; result: WindowResult }[] = [];
    for (const r of rows) {
      if (seen.has(r.monitor_id) || !r.result) continue;
      seen.add(r.monitor_id);
      out.push({ monitor: monitorOut(r), window: windowOut(r), result: JSON.parse(r.result) as WindowResult });
    }
    return out;
  }

  async upsertLabels(monitorId: string, labels: readonly { predictionId: string; label: unknown }[], now: number): Promise<void> {
    const unique = new Map(labels.map((l) => [l.predictionId, JSON.stringify(l.label)]));
    const rows = [...unique].map(([prediction_id, label]) => ({ monitor_id: monitorId, prediction_id, label, received_at: now }));
    await this.write(() =>
      this.db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += LABEL_CHUNK) {
          await trx
            .insertInto('monitor_labels')
            .values(rows.slice(i, i + LABEL_CHUNK))
            .onConflict((oc) => oc.columns(['monitor_id', 'prediction_id']).doUpdateSet((eb) => ({ label: eb.ref('excluded.label'), received_at: eb.ref('excluded.received_at') })))
            .execute();
        }
      }),
    );
  }

  async labelsFor(monitorId: string, predictionIds: readonly string[]): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    for (let i = 0; i < predictionIds.length; i += LABEL_CHUNK) {
      const rows = await this.db
        .selectFrom('monitor_labels')
        .select(['prediction_id', 'label'])
        .where('monitor_id', '=', monitorId)
        .where('prediction_id', 'in', predictionIds.slice(i, i + LABEL_CHUNK))
        .execute();
      for (const r of rows) out.set(r.prediction_id, JSON.parse(r.label));
    }
    return out;
  }

  async createAlertRule(rule: AlertRule): Promise<void> {
    try {
      await this.db
        .insertInto('monitor_alert_rules')
        .values({
          rule_id: rule.ruleId, monitor_id: rule.monitorId, name: rule.name, figure: rule.figure, op: rule.op, threshold: rule.threshold,
          for_windows: rule.forWindows, webhook_url: rule.webhookUrl, webhook_secret: rule.webhookSecret,
          retrain: rule.retrain ? JSON.stringify(rule.retrain) : null, state: rule.state, consecutive: rule.consecutive, state_since: rule.stateSince,
          last_value: rule.lastValue, silenced_until: rule.silencedUntil, silence_reason: rule.silenceReason, last_retrain_at: rule.lastRetrainAt,
          created_at: rule.createdAt,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Alert rule '${rule.name}'`);
      throw translateBusy(err);
    }
  }

  async getAlertRule(ruleId: string): Promise<AlertRule | undefined> {
    const row = await this.db.selectFrom('monitor_alert_rules').selectAll().where('rule_id', '=', ruleId).executeTakeFirst();
    return row ? ruleOut(row) : undefined;
  }

  async listAlertRules(filter: { monitorId?: string; state?: AlertState }): Promise<AlertRule[]> {
    let q = this.db.selectFrom('monitor_alert_rules').selectAll();
    if (filter.monitorId) q = q.where('monitor_id', '=', filter.monitorId);
    if (filter.state) q = q.where('state', '=', filter.state);
    return (await q.orderBy('monitor_id').orderBy('name').execute()).map(ruleOut);
  }

  async deleteAlertRule(ruleId: string): Promise<void> {
    await this.write(() => this.db.deleteFrom('monitor_alert_rules').where('rule_id', '=', ruleId).execute());
  }

  async updateAlertRule(ruleId: string, u: AlertRuleUpdate): Promise<void> {
    await this.write(() =>
      this.db
        .updateTable('monitor_alert_rules')
        .set({
          state: u.state, consecutive: u.consecutive, state_since: u.stateSince, last_value: u.lastValue,
          ...(u.lastRetrainAt !== undefined ? { last_retrain_at: u.lastRetrainAt } : {}),
        })
        .where('rule_id', '=', ruleId)
        .execute(),
    );
  }

  async silenceAlertRule(ruleId: string, until: number | null, reason: string | null): Promise<void> {
    await this.write(() => this.db.updateTable('monitor_alert_rules').set({ silenced_until: until, silence_reason: reason }).where('rule_id', '=', ruleId).execute());
  }

  async addAlertEvent(e: AlertEvent): Promise<void> {
    await this.write(() =>
      this.db
        .insertInto('monitor_alert_events')
        .values({ event_id: e.eventId, rule_id: e.ruleId, monitor_id: e.monitorId, window_id: e.windowId, state: e.state, value: e.value, silenced: e.silenced ? 1 : 0, at: e.at })
        .execute(),
    );
  }

  async listAlertEvents(ruleId: string, limit: number): Promise<AlertEvent[]> {
    const rows = await this.db.selectFrom('monitor_alert_events').selectAll().where('rule_id', '=', ruleId).orderBy('at', 'desc').orderBy('event_id').limit(limit).execute();
    return rows.map((r) => ({
      eventId: r.event_id, ruleId: r.rule_id, monitorId: r.monitor_id, windowId: r.window_id, state: r.state as AlertState,
      value: num(r.value), silenced: Number(r.silenced) === 1, at: Number(r.at),
    }));
  }

  async enqueueDelivery(d: Delivery): Promise<void> {
    await this.write(() =>
      this.db
        .insertInto('monitor_deliveries')
        .values({
          delivery_id: d.deliveryId, monitor_id: d.monitorId, rule_id: d.ruleId, kind: d.kind, url: d.url, secret: d.secret, payload: d.payload,
          status: d.status, attempts: d.attempts, next_attempt_at: d.nextAttemptAt, last_error: d.lastError, last_status: d.lastStatus,
          created_at: d.createdAt, delivered_at: d.deliveredAt,
        })
        .execute(),
    );
  }

  async claimDueDeliveries(now: number, leaseUntil: number, limit: number): Promise<Delivery[]> {
    const due = await this.db
      .selectFrom('monitor_deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
    const claimed: Delivery[] = [];
    for (const row of due) {
      // Compare-and-set on next_attempt_at: of several replicas, exactly one moves it.
      const r = await this.write(() =>
        this.db
          .updateTable('monitor_deliveries')
          .set({ next_attempt_at: leaseUntil })
          .where('delivery_id', '=', row.delivery_id)
          .where('status', '=', 'pending')
          .where('next_attempt_at', '=', row.next_attempt_at)
          .executeTakeFirst(),
      );
      if (Number(r.numUpdatedRows) === 1) claimed.push(deliveryOut({ ...row, next_attempt_at: leaseUntil }));
    }
    return claimed;
  }

  async recordDeliveryAttempt(
    deliveryId: string,
    o: { status: Delivery['status']; attempts: number; nextAttemptAt: number; lastError: string | null; lastStatus: number | null; deliveredAt: number | null },
  ): Promise<void> {
    await this.write(() =>
      this.db
        .updateTable('monitor_deliveries')
        .set({ status: o.status, attempts: o.attempts, next_attempt_at: o.nextAttemptAt, last_error: o.lastError, last_status: o.lastStatus, delivered_at: o.deliveredAt })
        .where('delivery_id', '=', deliveryId)
        .execute(),
    );
  }

  async listDeliveries(monitorId: string, limit: number): Promise<Delivery[]> {
    const rows = await this.db.selectFrom('monitor_deliveries').selectAll().where('monitor_id', '=', monitorId).orderBy('created_at', 'desc').orderBy('delivery_id').limit(limit).execute();
    return rows.map(deliveryOut);
  }

  async addRetrainRequest(r: RetrainRequest): Promise<void> {
    await this.write(() =>
      this.db
        .insertInto('monitor_retrain_requests')
        .values({ request_id: r.requestId, monitor_id: r.monitorId, rule_id: r.ruleId, window_id: r.windowId, target: r.target, status: r.status, detail: r.detail, created_at: r.createdAt })
        .execute(),
    );
  }

  async updateRetrainRequest(requestId: string, status: RetrainRequest['status'], detail: string | null): Promise<void> {
    await this.write(() => this.db.updateTable('monitor_retrain_requests').set({ status, detail }).where('request_id', '=', requestId).execute());
  }

  async getRetrainRequest(requestId: string): Promise<RetrainRequest | undefined> {
    const row = await this.db.selectFrom('monitor_retrain_requests').selectAll().where('request_id', '=', requestId).executeTakeFirst();
    return row ? retrainOut(row) : undefined;
  }

  async listRetrainRequests(monitorId: string, limit: number): Promise<RetrainRequest[]> {
    const rows = await this.db.selectFrom('monitor_retrain_requests').selectAll().where('monitor_id', '=', monitorId).orderBy('created_at', 'desc').orderBy('request_id').limit(limit).execute();
    return rows.map(retrainOut);
  }
}
