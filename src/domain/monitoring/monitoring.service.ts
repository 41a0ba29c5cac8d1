import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, notFound, orThrow } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import { noteChange } from '../../core/audit-notes.js';
import { validateProjectName } from '../projects/types.js';
import type { Access } from '../access/access.js';
import { notifies, stepRule } from './alert-rules.js';
import { analyzeDrift, prepareReference, type DriftOptions, type DriftReport } from './analysis.js';
import { driftAttributions, isDriftFigure, type DriftAttributions } from './drift-attributions.js';
import type { Explanation } from '../explain/types.js';
import { openBatches, type BatchFiles, type OpenedTables, type StagedTable } from './batch-files.js';
import { checkFigureName, performanceOf, windowFigures } from './figures.js';
import type { MonitoringStore } from './monitoring.store.js';
import { ReferenceCache } from './reference-cache.js';
import { renderReportHtml } from './report-html.js';
import { STAT_TEST_INFO } from './stat-tests.js';
import { columnarTable } from './table.js';
import type {
  AlertEvent, AlertOp, AlertRule, AlertState, BatchContent, ColumnarBatch, Delivery, Monitor, MonitorConfig, MonitorWindow, Performance, ReferenceSource,
  RetrainRequest, RetrainTrigger, StoredBatch, TableFormat, WindowKind, WindowResult,
} from './types.js';
import { WINDOW_MS } from './types.js';
import type { DeliveryLog, WebhookDispatcher } from './webhooks.js';

export interface CreateMonitorInput {
  readonly name: string;
  readonly modelName?: string;
  readonly modelVersion?: string;
  readonly window?: WindowKind;
  readonly config?: MonitorConfig;
  readonly reference?: ColumnarBatch;
  /** A dataset version (`churn-train@3`) or a Parquet/CSV file in the artifact store, instead of inline rows. */
  readonly referenceFrom?: ReferenceFrom;
  /** The project it goes in (default: `default`). */
  readonly project?: string | undefined;
}

export type ReferenceFrom = { readonly dataset: string; readonly uri?: undefined } | { readonly uri: string; readonly dataset?: undefined };

/** An uploaded table: the request body, streamed. */
export interface TableUpload {
  readonly monitor: string;
  readonly body: Readable | NodeJS.ReadableStream;
  readonly format: TableFormat;
}

/** The datasets module's part monitoring uses: a version's table on local disk, and the lineage graph. */
export interface ReferenceDatasets {
  withTable<T>(actor: Actor, ref: string, work: (files: readonly { local: string; name: string }[], version: { name: string; version: number; id: string }) => Promise<T>): Promise<T>;
  /** Edges the platform records (a monitor's reference, a retrain it set off), whoever caused them. */
  recordLineage(edges: readonly { from: { kind: string; id: string }; to: { kind: string; id: string }; relation: string }[]): Promise<void>;
}

export interface IngestInput {
  readonly monitor: string;
  readonly batch: ColumnarBatch;
  /** When the rows were seen (epoch ms); now by default. Picks the hour or day window. */
  readonly timestamp?: number;
}

export interface CreateAlertRuleInput {
  readonly monitor: string;
  readonly name: string;
  readonly figure: string;
  readonly op: AlertOp;
  readonly threshold: number;
  readonly forWindows?: number;
  readonly webhookUrl?: string;
  readonly webhookSecret?: string;
  readonly retrain?: { readonly webhookUrl?: string; readonly command?: readonly string[]; readonly cooldownMs?: number };
}

export interface WindowSummary extends MonitorWindow {
  readonly figures?: Readonly<Record<string, number>>;
}

/**
 * Starts a retrain command once, detached, without a shell; returns its process id. `on` says whose monitor set
 * it off and which request it answers (a server with auth gives the command a token of that user's).
 */
export type CommandRunner = (argv: readonly string[], env: Readonly<Record<string, string>>, on?: RetrainCommandContext) => Promise<number | undefined>;

export interface RetrainCommandContext {
  readonly monitor: string;
  /** The monitor's creator: the command acts as them. */
  readonly owner: string;
  readonly requestId: string;
}

export const spawnDetached: CommandRunner = (argv, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve(child.pid);
    });
  });

const BATCH_LIMIT_ROWS = 1_000_000;
const DEFAULT_COOLDOWN_MS = 24 * 3_600_000;
/** Windows whose performance is recomputed when late labels arrive. */
const RELABEL_WINDOWS = 20;

function batchRows(batch: ColumnarBatch): number {
  const lengths = new Set(Object.values(batch).map((c) => c.length));
  if (lengths.size > 1) throw invalid(`Invalid value for parameter 'columns': every column must have the same number of values (got ${[...lengths].join(', ')})`);
  const rows = lengths.size === 0 ? 0 : [...lengths][0]!;
  if (rows > BATCH_LIMIT_ROWS) throw invalid(`Invalid value for parameter 'rows': at most ${BATCH_LIMIT_ROWS} rows per batch`);
  return rows;
}

const silencedAt = (rule: AlertRule, now: number) => rule.silencedUntil !== null && rule.silencedUntil > now;

/** A reference's identity for the cache: its stored batches, which a replaced reference never shares. */
const referenceKey = (monitorId: string, batches: readonly StoredBatch[]) => `${monitorId}:${batches.map((b) => b.batchId).join(',')}`;

export class MonitoringService {
  constructor(
    private readonly store: MonitoringStore,
    private readonly access: Access,
    private readonly clock: Clock,
    private readonly dispatcher: Pick<WebhookDispatcher, 'kick'>,
    private readonly log: DeliveryLog,
    private readonly runCommand: CommandRunner = spawnDetached,
    private readonly files?: BatchFiles,
    private readonly datasets?: ReferenceDatasets,
  ) {}

  /** The newest explanation stored with a model version: drift alerts rank the drifted features by it. */
  explanations: ((name: string, version: number) => Promise<Explanation | undefined>) | undefined;

  private readonly referenceCache = new ReferenceCache();
  /** References being read and sorted ahead of their first window, by reference key; a window of one waits for it. */
  private readonly preparing = new Map<string, Promise<void>>();
  /** Each monitor's newest reference key: a preparation of an older one stops. */
  private readonly newestReference = new Map<string, string>();
  private stopped = false;

  private batchFiles(): BatchFiles {
    if (!this.files) throw invalid('This server stores no monitoring files: send batches as JSON');
    return this.files;
  }

  private async monitorFor(actor: Actor, idOrName: string, permission: 'READ' | 'EDIT' | 'MANAGE'): Promise<Monitor> {
    const monitor = orThrow(await this.store.getMonitor(idOrName), () => notFound(`Monitor '${idOrName}'`));
    await this.access.require(actor, permission, { kind: 'monitor', id: monitor.monitorId });
    return monitor;
  }

  async create(actor: Actor, input: CreateMonitorInput): Promise<Monitor> {
    const project = input.project === undefined ? undefined : validateProjectName(input.project);
    await this.access.require(actor, 'EDIT', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    this.checkConfig(input.config ?? {});
    const monitorId = newHexId();
    const now = this.clock.now();
    const reference = input.reference && batchRows(input.reference) > 0 ? input.reference : undefined;
    await this.store.createMonitor({
      monitorId, name: input.name, modelName: input.modelName ?? null, modelVersion: input.modelVersion ?? null,
      window: input.window ?? 'batch', config: input.config ?? {}, createdBy: actor.userId, now,
    });
    if (reference) await this.store.replaceReference(monitorId, [{ batchId: newHexId(), batch: reference, rows: batchRows(reference) }], { kind: 'rows' }, now);
    if (input.referenceFrom) {
      try {
        await this.referenceFromSource(actor, orThrow(await this.store.getMonitor(monitorId), () => notFound(`Monitor '${monitorId}'`)), input.referenceFrom);
      } catch (err) {
        // A monitor whose reference could not be read was never wanted: leave nothing behind.
        await this.store.deleteMonitor(monitorId);
        throw err;
      }
    }
    await this.access.created(actor, { kind: 'monitor', id: monitorId }, project);
    noteChange({ object: `monitor:${monitorId}`, after: { name: input.name, modelName: input.modelName ?? null } });
    return orThrow(await this.store.getMonitor(monitorId), () => notFound(`Monitor '${monitorId}'`));
  }

  private checkConfig(config: MonitorConfig): void {
    for (const [column, per] of Object.entries(config.perColumn ?? {})) {
      const feature = config.features?.find((f) => f.name === column);
      if (per.stattest && feature && !STAT_TEST_INFO[per.stattest].types.includes(feature.type)) {
        throw invalid(`Invalid value for parameter 'config.perColumn.${column}.stattest': ${per.stattest} does not apply to ${feature.type} columns`);
      }
    }
  }

  async get(actor: Actor, idOrName: string): Promise<Monitor> {
    return this.monitorFor(actor, idOrName, 'READ');
  }

  async list(actor: Actor, project?: string): Promise<Monitor[]> {
    if (project !== undefined) validateProjectName(project);
    await this.access.require(actor, 'READ', { kind: 'server', ...(project !== undefined ? { project } : {}) });
    return this.access.readable(actor, 'monitor', await this.store.listMonitors(), (m) => m.monitorId, project);
  }

  async delete(actor: Actor, idOrName: string): Promise<void> {
    const monitor = await this.monitorFor(actor, idOrName, 'MANAGE');
    await this.store.deleteMonitor(monitor.monitorId);
    this.newestReference.delete(monitor.monitorId);
    if (this.files) await this.files.delete([`monitoring/${monitor.monitorId}`]).catch((err: unknown) => this.log.warn({ monitor: monitor.name, err }, 'monitor files not deleted'));
  }

  async setReference(actor: Actor, input: { monitor: string; batch: ColumnarBatch }): Promise<Monitor> {
    const monitor = await this.monitorFor(actor, input.monitor, 'EDIT');
    const rows = batchRows(input.batch);
    if (rows === 0) throw invalid("Invalid value for parameter 'rows': the reference needs at least one row");
    this.newestReference.delete(monitor.monitorId);
    await this.dropFiles(monitor, await this.store.replaceReference(monitor.monitorId, [{ batchId: newHexId(), batch: input.batch, rows }], { kind: 'rows' }, this.clock.now()));
    return orThrow(await this.store.getMonitor(monitor.monitorId), () => notFound(`Monitor '${input.monitor}'`));
  }

  /** The reference as an uploaded CSV or Parquet table, streamed into the artifact store as Parquet. */
  async uploadReference(actor: Actor, input: TableUpload): Promise<Monitor> {
    const monitor = await this.monitorFor(actor, input.monitor, 'EDIT');
    const files = this.batchFiles();
    await files.withScratch(async (dir) => this.storeReference(monitor, (file) => files.storeUpload(input.body, input.format, file, dir), { kind: 'upload', format: input.format }));
    return orThrow(await this.store.getMonitor(monitor.monitorId), () => notFound(`Monitor '${input.monitor}'`));
  }

  /** The reference from a dataset version or a file already in the artifact store. */
  async setReferenceFrom(actor: Actor, input: { monitor: string } & ReferenceFrom): Promise<Monitor> {
    const monitor = await this.monitorFor(actor, input.monitor, 'EDIT');
    await this.referenceFromSource(actor, monitor, input);
    return orThrow(await this.store.getMonitor(monitor.monitorId), () => notFound(`Monitor '${input.monitor}'`));
  }

  private async referenceFromSource(actor: Actor, monitor: Monitor, from: ReferenceFrom): Promise<void> {
    const files = this.batchFiles();
    if (from.dataset !== undefined) {
      if (!this.datasets) throw invalid("Invalid value for parameter 'dataset': this server has no datasets to read a reference from");
      const datasets = this.datasets;
      const versionId = await files.withScratch((dir) =>
        datasets.withTable(actor, from.dataset, async (parts, version) => {
          const source: ReferenceSource = { kind: 'dataset', dataset: version.name, version: version.version, versionId: version.id, path: parts[0]!.name };
          await this.storeReference(monitor, this.staged(await files.stageLocal(parts, dir)), source);
          return version.id;
        }),
      );
      await datasets.recordLineage([{ from: { kind: 'dataset_version', id: versionId }, to: { kind: 'monitor', id: monitor.monitorId }, relation: 'reference_of' }]);
      return;
    }
    // Any file of the artifact store can be named here, so only those who manage the server may.
    await this.access.require(actor, 'MANAGE', { kind: 'server' });
    const artifactPath = files.artifactPathOf(from.uri);
    await files.withScratch((dir) =>
      files.withLocal([artifactPath], dir, async ([local]) => this.storeReference(monitor, this.staged(await files.stageLocal([{ local: local!, name: artifactPath }], dir)), { kind: 'uri', uri: from.uri })),
    );
  }

  /** Stores a staged table wherever it is asked to. */
  private staged(staged: StagedTable): (file: string) => Promise<StagedTable> {
    return async (file) => {
      await this.batchFiles().put(staged, file);
      return staged;
    };
  }

  /** `write` puts the reference's table at the file it is given and says how many rows it has. */
  private async storeReference(monitor: Monitor, write: (file: string) => Promise<{ rows: number }>, source: ReferenceSource): Promise<void> {
    const batchId = newHexId();
    const file = this.filePath(monitor, 'reference', batchId);
    const { rows } = await write(file);
    if (rows === 0) {
      await this.dropFiles(monitor, [file]);
      throw invalid("Invalid value for parameter 'rows': the reference needs at least one row");
    }
    let replaced: string[];
    try {
      replaced = await this.store.replaceReference(monitor.monitorId, [{ batchId, file, rows }], source, this.clock.now());
    } catch (err) {
      await this.dropFiles(monitor, [file]);
      throw err;
    }
    await this.dropFiles(monitor, replaced);
    this.prepareAhead(monitor, await this.store.referenceBatches(monitor.monitorId));
  }

  /**
   * Reads and sorts a stored reference's columns into the reference cache in the background, right after it
   * is stored: the upload answers at once, and the first window (usually uploaded next) finds the reference
   * ready instead of paying for it. A failure only costs the head start; the window reads the reference itself.
   */
  private prepareAhead(monitor: Monitor, reference: readonly StoredBatch[]): void {
    if (this.stopped || reference.length === 0) return;
    const key = referenceKey(monitor.monitorId, reference);
    this.newestReference.set(monitor.monitorId, key);
    const cache = this.referenceCache.columns(key);
    const stale = () => this.stopped || this.newestReference.get(monitor.monitorId) !== key;
    const work = this.withTables([reference], (opened) => prepareReference(opened.tables[0]!, cache, this.driftOptions(monitor), stale))
      .then(
        () => undefined,
        (err: unknown) => {
          if (!stale()) this.log.warn({ monitor: monitor.name, err }, 'reference not prepared ahead of its first window');
        },
      )
      .finally(() => {
        if (this.preparing.get(key) === work) this.preparing.delete(key);
      });
    this.preparing.set(key, work);
  }

  /** Stops preparing references ahead and waits for the reads under way (the server is shutting down). */
  async stopBackground(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.preparing.values());
  }

  private filePath(monitor: Monitor, role: 'reference' | 'batches', batchId: string): string {
    return `monitoring/${monitor.monitorId}/${role}/${batchId}.parquet`;
  }

  /** Files no batch names any more; a failure to delete one is logged, never the caller's error. */
  private async dropFiles(monitor: Monitor, files: readonly string[]): Promise<void> {
    if (files.length === 0 || !this.files) return;
    await this.files.delete(files).catch((err: unknown) => this.log.warn({ monitor: monitor.name, err, files }, 'monitor files not deleted'));
  }

  /**
   * Stores a batch in its window. A batch window closes at once; an hour or day window closes when rows
   * for a later window arrive, or on request. Closing computes the window's figures and steps its alerts.
   */
  async ingest(actor: Actor, input: IngestInput): Promise<{ window: MonitorWindow; closed: WindowSummary[] }> {
    const monitor = await this.monitorFor(actor, input.monitor, 'EDIT');
    const rows = batchRows(input.batch);
    if (monitor.referenceRows === 0) throw invalid(`Monitor '${monitor.name}' has no reference data yet; set it before ingesting`);
    return this.append(monitor, newHexId(), { batch: input.batch }, rows, input.timestamp);
  }

  /** A batch as an uploaded CSV or Parquet table, of any size: streamed to the artifact store as Parquet, then windowed like any batch. */
  async ingestFile(actor: Actor, input: TableUpload & { timestamp?: number }): Promise<{ window: MonitorWindow; closed: WindowSummary[] }> {
    const monitor = await this.monitorFor(actor, input.monitor, 'EDIT');
    if (monitor.referenceRows === 0) throw invalid(`Monitor '${monitor.name}' has no reference data yet; set it before ingesting`);
    const files = this.batchFiles();
    const batchId = newHexId();
    const file = this.filePath(monitor, 'batches', batchId);
    const { rows } = await files.withScratch((dir) => files.storeUpload(input.body, input.format, file, dir));
    if (rows === 0) {
      await this.dropFiles(monitor, [file]);
      throw invalid("Invalid value for parameter 'rows': the batch has no rows");
    }
    try {
      return await this.append(monitor, batchId, { file }, rows, input.timestamp);
    } catch (err) {
      // Only a batch that never reached its window is dropped; one stored and then analyzed stays.
      if (!(await this.store.getMonitor(monitor.monitorId))) await this.dropFiles(monitor, [file]);
      throw err;
    }
  }

  private async append(monitor: Monitor, batchId: string, content: BatchContent, rows: number, timestamp: number | undefined): Promise<{ window: MonitorWindow; closed: WindowSummary[] }> {
    const now = this.clock.now();
    const at = timestamp ?? now;
    const windowId = newHexId();
    let start = at;
    let end = at;
    let key = windowId;
    if (monitor.window !== 'batch') {
      const size = WINDOW_MS[monitor.window];
      start = Math.floor(at / size) * size;
      end = start + size;
      key = String(start);
    }
    const window = await this.store.appendToWindow({ monitorId: monitor.monitorId, windowKey: key, newWindowId: windowId, start, end, batchId, ...content, rows, now });
    const due = monitor.window === 'batch' ? [window] : (await this.store.openWindows(monitor.monitorId)).filter((w) => w.start < start);
    const closed: WindowSummary[] = [];
    for (const w of due) closed.push(await this.closeWindow(monitor, w));
    return { window: closed.find((c) => c.windowId === window.windowId) ?? window, closed };
  }

  async closeWindows(actor: Actor, input: { monitor: string; windowId?: string }): Promise<WindowSummary[]> {
    const monitor = await this.monitorFor(actor, input.monitor, 'EDIT');
    const open = await this.store.openWindows(monitor.monitorId);
    const chosen = input.windowId ? open.filter((w) => w.windowId === input.windowId) : open;
    if (input.windowId && chosen.length === 0) {
      const known = await this.store.getWindow(monitor.monitorId, input.windowId);
      if (!known) throw notFound(`Window '${input.windowId}' of monitor '${monitor.name}'`);
    }
    const out: WindowSummary[] = [];
    for (const w of chosen) out.push(await this.closeWindow(monitor, w));
    return out;
  }

  private driftOptions(monitor: Monitor): DriftOptions {
    const c = monitor.config;
    return {
      ...(c.features ? { columns: c.features } : {}),
      ...(c.predictionColumn ? { predictionColumn: c.predictionColumn } : {}),
      excludeColumns: [...(c.excludeColumns ?? []), ...(c.idColumn ? [c.idColumn] : [])],
      ...(c.stattest ? { stattest: c.stattest } : {}),
      ...(c.threshold !== undefined ? { threshold: c.threshold } : {}),
      ...(c.driftShare !== undefined ? { driftShare: c.driftShare } : {}),
      ...(c.perColumn ? { perColumn: c.perColumn } : {}),
    };
  }

  /** Stored batches as tables for the time of `work`: files come from the artifact store, JSON batches from the database. */
  private async withTables<T>(sides: readonly (readonly StoredBatch[])[], work: (opened: OpenedTables) => Promise<T>): Promise<T> {
    const paths = [...new Set(sides.flat().flatMap((b) => (b.kind === 'file' ? [b.path] : [])))];
    const run = async (localOf: ReadonlyMap<string, string>, dir?: string) => {
      const opened = await openBatches(sides, localOf, dir);
      try {
        return await work(opened);
      } finally {
        await opened.close();
      }
    };
    if (paths.length === 0) return run(new Map());
    const files = this.batchFiles();
    return files.withScratch((dir) => files.withLocal(paths, dir, (local) => run(new Map(paths.map((p, i) => [p, local[i]!])), dir)));
  }

  private async performance(monitor: Monitor, read: (names: readonly string[]) => Promise<ColumnarBatch[]>): Promise<Performance | undefined> {
    const { idColumn, predictionColumn, task } = monitor.config;
    if (!idColumn || !predictionColumn || !task) return undefined;
    const batches = await read([idColumn, predictionColumn]);
    const ids: string[] = [];
    const predictions: unknown[] = [];
    for (const b of batches) {
      const idCol = b[idColumn] ?? [];
      const predCol = b[predictionColumn] ?? [];
      idCol.forEach((id, i) => {
        if (id === null || id === undefined) return;
        ids.push(String(id));
        predictions.push(predCol[i]);
      });
    }
    const labels = await this.store.labelsFor(monitor.monitorId, ids);
    const pairs = ids.flatMap((id, i) => (labels.has(id) ? [{ prediction: predictions[i], label: labels.get(id) }] : []));
    return performanceOf(task, pairs);
  }

  private async closeWindow(monitor: Monitor, window: MonitorWindow): Promise<WindowSummary> {
    const reference = await this.store.referenceBatches(monitor.monitorId);
    const batches = await this.store.windowBatches(window.windowId);
    // A reference still being prepared ahead is waited for, not read a second time alongside.
    await this.preparing.get(referenceKey(monitor.monitorId, reference));
    const { report, performance } = await this.withTables([reference, batches], async (opened) => ({
      report: await analyzeDrift(opened.tables[0]!, opened.tables[1]!, { ...this.driftOptions(monitor), referenceCache: this.referenceCache.columns(referenceKey(monitor.monitorId, reference)) }),
      performance: await this.performance(monitor, (names) => opened.columns(1, names)),
    }));
    const figures = windowFigures(report, performance);
    const result: WindowResult = { report, ...(performance ? { performance } : {}), figures };
    const now = this.clock.now();
    await this.store.closeWindow(window.windowId, result, now);
    await this.stepAlerts(monitor, window, report, figures, now);
    return {
      ...window, status: 'closed', closedAt: now, datasetDrift: report.datasetDrift.drifted, datasetDriftShare: report.datasetDrift.share, figures,
    };
  }

  private async stepAlerts(monitor: Monitor, window: MonitorWindow, report: DriftReport, figures: Readonly<Record<string, number>>, now: number): Promise<void> {
    let queued = false;
    for (const rule of await this.store.listAlertRules({ monitorId: monitor.monitorId })) {
      const value = figures[rule.figure];
      const step = stepRule(rule, value, now);
      const silenced = silencedAt(rule, now);
      let lastRetrainAt: number | undefined;
      if (step.transition) {
        const event: AlertEvent = { eventId: newHexId(), ruleId: rule.ruleId, monitorId: monitor.monitorId, windowId: window.windowId, state: step.transition, value: value ?? null, silenced, at: now };
        await this.store.addAlertEvent(event);
        this.log.info({ monitor: monitor.name, rule: rule.name, state: step.transition, figure: rule.figure, value, silenced }, `alert ${rule.name} is ${step.transition}`);
        if (notifies(step.transition) && !silenced && rule.webhookUrl) {
          await this.enqueue(monitor, rule, 'alert', rule.webhookUrl, {
            type: 'alert', state: step.transition, monitor: { id: monitor.monitorId, name: monitor.name, modelName: monitor.modelName, modelVersion: monitor.modelVersion },
            rule: { id: rule.ruleId, name: rule.name, figure: rule.figure, op: rule.op, threshold: rule.threshold, forWindows: rule.forWindows },
            value: value ?? null, window: { id: window.windowId, start: window.start, end: window.end }, at: now,
            ...(isDriftFigure(rule.figure) ? { drift: await this.driftOf(monitor, rule.figure, report) } : {}),
          });
          queued = true;
        }
        if (step.transition === 'firing' && !silenced && rule.retrain && (rule.lastRetrainAt === null || now - rule.lastRetrainAt >= rule.retrain.cooldownMs)) {
          queued = (await this.triggerRetrain(monitor, rule, rule.retrain, window, value ?? null, now)) || queued;
          lastRetrainAt = now;
        }
      }
      await this.store.updateAlertRule(rule.ruleId, { ...step.update, ...(lastRetrainAt !== undefined ? { lastRetrainAt } : {}) });
    }
    if (queued) this.dispatcher.kick();
  }

  private async enqueue(monitor: Monitor, rule: AlertRule, kind: Delivery['kind'], url: string, payload: unknown): Promise<void> {
    const now = this.clock.now();
    await this.store.enqueueDelivery({
      deliveryId: newHexId(), monitorId: monitor.monitorId, ruleId: rule.ruleId, kind, url, secret: rule.webhookSecret, payload: JSON.stringify(payload),
      status: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, lastStatus: null, createdAt: now, deliveredAt: null,
    });
  }

  /** Records the request first, then calls the webhook (queued, signed) or starts the command. Returns whether a delivery was queued. */
  private async triggerRetrain(monitor: Monitor, rule: AlertRule, trigger: RetrainTrigger, window: MonitorWindow, value: number | null, now: number): Promise<boolean> {
    const target = trigger.webhookUrl ?? (trigger.command ?? []).join(' ');
    const request: RetrainRequest = { requestId: newHexId(), monitorId: monitor.monitorId, ruleId: rule.ruleId, windowId: window.windowId, target, status: 'requested', detail: null, createdAt: now };
    await this.store.addRetrainRequest(request);
    this.log.info({ monitor: monitor.name, rule: rule.name, target }, 'retrain requested');
    await this.recordLineage(monitor, [
      { from: { kind: 'monitor', id: monitor.monitorId }, to: { kind: 'alert_rule', id: rule.ruleId }, relation: 'fired' },
      { from: { kind: 'alert_rule', id: rule.ruleId }, to: { kind: 'retrain_request', id: request.requestId }, relation: 'triggered' },
    ]);
    if (trigger.webhookUrl) {
      await this.enqueue(monitor, rule, 'retrain', trigger.webhookUrl, {
        type: 'retrain', requestId: request.requestId, monitor: { id: monitor.monitorId, name: monitor.name, modelName: monitor.modelName, modelVersion: monitor.modelVersion },
        rule: { id: rule.ruleId, name: rule.name, figure: rule.figure }, value, window: { id: window.windowId, start: window.start, end: window.end }, at: now,
      });
      return true;
    }
    if (trigger.command && trigger.command.length > 0) {
      try {
        const pid = await this.runCommand(trigger.command, {
          OPENEXPERT_MONITOR_ID: monitor.monitorId, OPENEXPERT_MONITOR: monitor.name, OPENEXPERT_RULE: rule.name,
          OPENEXPERT_WINDOW_ID: window.windowId, OPENEXPERT_RETRAIN_REQUEST: request.requestId,
          ...(monitor.modelName ? { OPENEXPERT_MODEL_NAME: monitor.modelName } : {}), ...(monitor.modelVersion ? { OPENEXPERT_MODEL_VERSION: monitor.modelVersion } : {}),
        }, { monitor: monitor.name, owner: monitor.createdBy, requestId: request.requestId });
        await this.store.updateRetrainRequest(request.requestId, 'started', pid === undefined ? null : `pid ${pid}`);
      } catch (err) {
        await this.store.updateRetrainRequest(request.requestId, 'failed', (err as Error).message);
        this.log.warn({ monitor: monitor.name, rule: rule.name, err }, 'retrain command did not start');
      }
    }
    return false;
  }

  /** Lineage is evidence, not the work itself: a failure to record it is logged and the work goes on. */
  private async recordLineage(monitor: Monitor, edges: Parameters<ReferenceDatasets['recordLineage']>[0]): Promise<void> {
    if (!this.datasets) return;
    await this.datasets.recordLineage(edges).catch((err: unknown) => this.log.warn({ monitor: monitor.name, err }, 'lineage not recorded'));
  }

  /**
   * What a retraining set off by a monitor reports back (its command gets OPENEXPERT_RETRAIN_REQUEST; a webhook
   * receiver gets `requestId`): the run it made and the model version it registered go into the lineage graph
   * after the alert, and the request is completed (or failed) in the monitor's history.
   */
  async completeRetrain(
    actor: Actor,
    input: { requestId: string; status: 'completed' | 'failed'; runId?: string; modelName?: string; modelVersion?: string; detail?: string },
  ): Promise<RetrainRequest> {
    const request = orThrow(await this.store.getRetrainRequest(input.requestId), () => notFound(`Retrain request '${input.requestId}'`));
    const monitor = await this.monitorFor(actor, request.monitorId, 'EDIT');
    if ((input.modelName === undefined) !== (input.modelVersion === undefined)) throw invalid("Invalid value for parameter 'modelVersion': give modelName and modelVersion together");
    const node = { kind: 'retrain_request', id: request.requestId };
    const run = input.runId ? { kind: 'run', id: input.runId } : undefined;
    const version = input.modelName ? { kind: 'model_version', id: `${input.modelName}/${input.modelVersion}` } : undefined;
    await this.recordLineage(monitor, [
      ...(run ? [{ from: node, to: run, relation: 'started' }] : []),
      ...(version ? [{ from: run ?? node, to: version, relation: run ? 'produced' : 'registered' }] : []),
    ]);
    const detail = input.detail ?? [run ? `run ${input.runId}` : '', version ? `registered ${input.modelName} version ${input.modelVersion}` : ''].filter(Boolean).join(', ');
    await this.store.updateRetrainRequest(request.requestId, input.status, detail || null);
    return { ...request, status: input.status, detail: detail || null };
  }

  /** Settles a retrain request once its webhook delivery succeeded or gave up. */
  async onDeliveryOutcome(d: Delivery, delivered: boolean, detail: string): Promise<void> {
    if (d.kind !== 'retrain') return;
    const requestId = (JSON.parse(d.payload) as { requestId?: string }).requestId;
    // A receiver that retrained before answering may already have reported the outcome: that stays.
    if (!requestId || (await this.store.getRetrainRequest(requestId))?.status === 'completed') return;
    await this.store.updateRetrainRequest(requestId, delivered ? 'delivered' : 'failed', detail);
  }

  async listWindows(actor: Actor, input: { monitor: string; limit?: number }): Promise<MonitorWindow[]> {
    const monitor = await this.monitorFor(actor, input.monitor, 'READ');
    return this.store.listWindows(monitor.monitorId, input.limit ?? 100);
  }

  async getWindow(actor: Actor, input: { monitor: string; windowId: string }): Promise<MonitorWindow & { result: WindowResult | null }> {
    const monitor = await this.monitorFor(actor, input.monitor, 'READ');
    return orThrow(await this.store.getWindow(monitor.monitorId, input.windowId), () => notFound(`Window '${input.windowId}' of monitor '${monitor.name}'`));
  }

  async windowReportHtml(actor: Actor, input: { monitor: string; windowId: string }): Promise<string> {
    const monitor = await this.monitorFor(actor, input.monitor, 'READ');
    const window = orThrow(await this.store.getWindow(monitor.monitorId, input.windowId), () => notFound(`Window '${input.windowId}' of monitor '${monitor.name}'`));
    if (!window.result) throw invalid(`Window '${input.windowId}' is still open; close it to get its report`);
    const when = new Date(window.start).toISOString();
    return renderReportHtml(window.result.report, `${monitor.name}${monitor.modelName ? ` (${monitor.modelName}${monitor.modelVersion ? ` v${monitor.modelVersion}` : ''})` : ''} — window ${when}`);
  }

  async status(actor: Actor, idOrName: string): Promise<{ monitor: Monitor; latest: WindowSummary | null; openWindows: MonitorWindow[]; alerts: AlertRule[] }> {
    const monitor = await this.monitorFor(actor, idOrName, 'READ');
    const closed = (await this.store.listWindows(monitor.monitorId, 50)).filter((w) => w.status === 'closed');
    const latestClosed = closed.sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0))[0];
    const latest = latestClosed ? await this.store.getWindow(monitor.monitorId, latestClosed.windowId) : undefined;
    let summary: WindowSummary | null = null;
    if (latest) {
      const { result, ...window } = latest;
      summary = { ...window, figures: result?.figures ?? {} };
    }
    return {
      monitor,
      latest: summary,
      openWindows: await this.store.openWindows(monitor.monitorId),
      alerts: await this.store.listAlertRules({ monitorId: monitor.monitorId }),
    };
  }

  /** Ground truth that arrives after the predictions; performance of recent windows is recomputed with it. */
  async addLabels(actor: Actor, input: { monitor: string; labels: readonly { predictionId: string; label: unknown }[] }): Promise<{ stored: number; windowsUpdated: number }> {
    const monitor = await this.monitorFor(actor, input.monitor, 'EDIT');
    if (!monitor.config.idColumn) throw invalid(`Monitor '${monitor.name}' has no idColumn to join labels on`);
    await this.store.upsertLabels(monitor.monitorId, input.labels, this.clock.now());
    let windowsUpdated = 0;
    if (monitor.config.task && monitor.config.predictionColumn) {
      for (const w of (await this.store.listWindows(monitor.monitorId, RELABEL_WINDOWS)).filter((x) => x.status === 'closed')) {
        const full = await this.store.getWindow(monitor.monitorId, w.windowId);
        if (!full?.result) continue;
        const batches = await this.store.windowBatches(w.windowId);
        const performance = await this.withTables([batches], (opened) => this.performance(monitor, (names) => opened.columns(0, names)));
        if (!performance || performance.labelled === (full.result.performance?.labelled ?? 0)) continue;
        await this.store.closeWindow(w.windowId, { report: full.result.report, performance, figures: windowFigures(full.result.report, performance) }, w.closedAt ?? this.clock.now());
        windowsUpdated++;
      }
    }
    return { stored: new Set(input.labels.map((l) => l.predictionId)).size, windowsUpdated };
  }

  async createAlertRule(actor: Actor, input: CreateAlertRuleInput): Promise<AlertRule> {
    const monitor = await this.monitorFor(actor, input.monitor, 'EDIT');
    // A command runs on the server: only those who manage the server may configure one.
    if (input.retrain?.command) await this.access.require(actor, 'MANAGE', { kind: 'server' });
    checkFigureName(input.figure);
    if (input.retrain && !input.retrain.webhookUrl && !input.retrain.command?.length) {
      throw invalid("Invalid value for parameter 'retrain': give a webhookUrl or a command");
    }
    if (input.retrain?.webhookUrl && input.retrain.command?.length) throw invalid("Invalid value for parameter 'retrain': give a webhookUrl or a command, not both");
    const now = this.clock.now();
    const rule: AlertRule = {
      ruleId: newHexId(), monitorId: monitor.monitorId, name: input.name, figure: input.figure, op: input.op, threshold: input.threshold,
      forWindows: input.forWindows ?? 1, webhookUrl: input.webhookUrl ?? null, webhookSecret: input.webhookSecret ?? newHexId(24),
      retrain: input.retrain ? { ...input.retrain, cooldownMs: input.retrain.cooldownMs ?? DEFAULT_COOLDOWN_MS } : null,
      state: 'inactive', consecutive: 0, stateSince: now, lastValue: null, silencedUntil: null, silenceReason: null, lastRetrainAt: null, createdAt: now,
    };
    await this.store.createAlertRule(rule);
    return rule;
  }

  private async ruleFor(actor: Actor, ruleId: string, permission: 'READ' | 'EDIT'): Promise<AlertRule> {
    const rule = orThrow(await this.store.getAlertRule(ruleId), () => notFound(`Alert rule '${ruleId}'`));
    await this.access.require(actor, permission, { kind: 'monitor', id: rule.monitorId });
    return rule;
  }

  async listAlertRules(actor: Actor, input: { monitor?: string; state?: AlertState }): Promise<AlertRule[]> {
    if (input.monitor) {
      const monitor = await this.monitorFor(actor, input.monitor, 'READ');
      return this.store.listAlertRules({ monitorId: monitor.monitorId, ...(input.state ? { state: input.state } : {}) });
    }
    await this.access.require(actor, 'READ', { kind: 'server' });
    return this.access.readable(actor, 'monitor', await this.store.listAlertRules(input.state ? { state: input.state } : {}), (r) => r.monitorId);
  }

  /**
   * A rule with its state changes; for a drift rule that has fired, the features that drifted in the window it last
   * fired on, ranked by the monitored model version's newest explanation (or how to compute one).
   */
  async getAlertRule(actor: Actor, ruleId: string): Promise<{ rule: AlertRule; events: AlertEvent[]; drift: (DriftAttributions & { windowId: string }) | null }> {
    const rule = await this.ruleFor(actor, ruleId, 'READ');
    const events = await this.store.listAlertEvents(rule.ruleId, 100);
    const fired = isDriftFigure(rule.figure) ? events.filter((e) => e.state === 'firing').sort((a, b) => b.at - a.at)[0] : undefined;
    if (!fired) return { rule, events, drift: null };
    const [monitor, window] = await Promise.all([this.store.getMonitor(rule.monitorId), this.store.getWindow(rule.monitorId, fired.windowId)]);
    if (!monitor || !window?.result) return { rule, events, drift: null };
    return { rule, events, drift: { windowId: fired.windowId, ...(await this.driftOf(monitor, rule.figure, window.result.report)) } };
  }

  private async driftOf(monitor: Monitor, figure: string, report: DriftReport): Promise<DriftAttributions> {
    const version = monitor.modelVersion !== null && /^[1-9][0-9]*$/.test(monitor.modelVersion) ? Number(monitor.modelVersion) : undefined;
    const explanation = monitor.modelName !== null && version !== undefined ? await this.explanations?.(monitor.modelName, version) : undefined;
    return driftAttributions(monitor, figure, report, explanation);
  }

  async deleteAlertRule(actor: Actor, ruleId: string): Promise<void> {
    const rule = await this.ruleFor(actor, ruleId, 'EDIT');
    await this.store.deleteAlertRule(rule.ruleId);
  }

  /** Mutes a rule's notifications and retrain triggers until the given time; its state is still tracked. */
  async silence(actor: Actor, input: { ruleId: string; durationMs?: number; until?: number; reason?: string }): Promise<AlertRule> {
    const rule = await this.ruleFor(actor, input.ruleId, 'EDIT');
    const now = this.clock.now();
    const until = input.until ?? (input.durationMs !== undefined ? now + input.durationMs : undefined);
    if (until === undefined) throw invalid("Invalid value for parameter 'durationMs': give durationMs or until");
    if (until <= now) throw invalid("Invalid value for parameter 'until': must be in the future");
    await this.store.silenceAlertRule(rule.ruleId, until, input.reason ?? null);
    return { ...rule, silencedUntil: until, silenceReason: input.reason ?? null };
  }

  async unsilence(actor: Actor, ruleId: string): Promise<AlertRule> {
    const rule = await this.ruleFor(actor, ruleId, 'EDIT');
    await this.store.silenceAlertRule(rule.ruleId, null, null);
    return { ...rule, silencedUntil: null, silenceReason: null };
  }

  async listDeliveries(actor: Actor, input: { monitor: string; limit?: number }): Promise<Delivery[]> {
    const monitor = await this.monitorFor(actor, input.monitor, 'READ');
    return this.store.listDeliveries(monitor.monitorId, input.limit ?? 100);
  }

  async listRetrainRequests(actor: Actor, input: { monitor: string; limit?: number }): Promise<RetrainRequest[]> {
    const monitor = await this.monitorFor(actor, input.monitor, 'READ');
    return this.store.listRetrainRequests(monitor.monitorId, input.limit ?? 100);
  }

  /** A one-off comparison of two tables, stored nowhere: the API's and the CLI's `report`. */
  async report(actor: Actor, input: { reference: ColumnarBatch; current: ColumnarBatch; options?: DriftOptions }): Promise<DriftReport> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    batchRows(input.reference);
    batchRows(input.current);
    return analyzeDrift(columnarTable(input.reference), columnarTable(input.current), input.options ?? {});
  }

  renderHtml(report: DriftReport, title?: string): string {
    return renderReportHtml(report, title);
  }

  /** The newest figures of every monitor and every rule's state, for the Prometheus scrape (not an API call). */
  async metricsSnapshot(): Promise<{ latest: Awaited<ReturnType<MonitoringStore['latestResults']>>; rules: AlertRule[]; monitors: Monitor[] }> {
    const [latest, rules, monitors] = await Promise.all([this.store.latestResults(), this.store.listAlertRules({}), this.store.listMonitors()]);
    return { latest, rules, monitors };
  }
}
