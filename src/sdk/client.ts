import { randomUUID } from 'node:crypto';
import type { Experiment, KeyValue, Metric, Run, ViewType } from '../domain/tracking/types.js';
import { ActiveRun } from './active-run.js';
import { HttpClient, OpenExpertError, type RetryOptions } from './http.js';
import { FallbackSink, WalSink, type OfflineOptions } from './run-sink.js';
import { sourceTags } from './source.js';
import { Features } from './features.js';
import { Sweeps } from './sweeps.js';
import { Compute } from './compute.js';
import { Prompts } from './prompts.js';
import { RetrievalEvaluations } from './rag/evaluations.js';
import { Explanations } from './explanations.js';
import { Review } from './review.js';
import { syncOffline, unreachable, type SyncedRun } from './sync.js';
import { defaultWalDir, RunLog, walFile } from './wal.js';

export interface OpenExpertOptions {
  /** The server; OPENEXPERT_URL, then an http(s) MLFLOW_TRACKING_URI, then http://127.0.0.1:5000. */
  readonly url?: string;
  /** Sent as a bearer token; OPENEXPERT_TOKEN or MLFLOW_TRACKING_TOKEN unless given. */
  readonly token?: string;
  /** A fetch to use instead of the global one. */
  readonly fetch?: typeof fetch;
  readonly retry?: Partial<RetryOptions>;
  /** How long a logged value may wait in the buffer before it is sent (1000 ms by default). */
  readonly flushIntervalMs?: number;
  /**
   * `'auto'` (the default): online, and a run the server cannot take (unreachable at the start, or gone
   * mid-run after the retries) is kept in an offline log and sent when the server is back; `true`: every run
   * is logged offline only, for `openexpert sync` later; `false`: failures are thrown, nothing is kept
   * locally. $OPENEXPERT_OFFLINE (`true`, `false`, `auto`) unless given.
   */
  readonly offline?: boolean | 'auto';
  /** Where offline logs are kept: $OPENEXPERT_OFFLINE_DIR, else ~/.openexpert/offline. */
  readonly offlineDir?: string;
  /** How often a run kept offline tries the server again in the background (30 s by default; 0 never). */
  readonly syncIntervalMs?: number;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass as `pageToken` for the next page; absent on the last one. */
  readonly nextPageToken?: string;
}

export interface SearchExperimentsOptions {
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  readonly maxResults?: number;
  readonly pageToken?: string;
  readonly view?: ViewType;
}

export interface SearchRunsOptions extends SearchExperimentsOptions {
  readonly experimentIds: readonly string[];
}

export interface CreateExperimentOptions {
  readonly artifactLocation?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** The project it goes in (default: the default project). */
  readonly project?: string;
}

export interface StartRunOptions {
  /** The experiment by name, created if it does not exist yet. */
  readonly experiment?: string;
  /** The experiment by id; with neither, the Default experiment ('0'). */
  readonly experimentId?: string;
  readonly runName?: string;
  /** Given tags win over the automatic `mlflow.user`, `mlflow.source.*` and `mlflow.source.git.commit`. */
  readonly tags?: Readonly<Record<string, string>>;
}

const toKeyValues = (record: Readonly<Record<string, string>> = {}): KeyValue[] => Object.entries(record).map(([key, value]) => ({ key, value }));
const enc = encodeURIComponent;

/** Metric values arrive as numbers, or "NaN"/"Infinity"/"-Infinity" strings. */
type WireMetric = Omit<Metric, 'value'> & { value: number | string };
const metricFromWire = (m: WireMetric): Metric => ({ ...m, value: Number(m.value) });
const runFromWire = (r: Run): Run => ({ ...r, data: { ...r.data, metrics: (r.data.metrics as WireMetric[]).map(metricFromWire) } });

function offlineMode(given: OpenExpertOptions['offline'], env: NodeJS.ProcessEnv): boolean | 'auto' {
  if (given !== undefined) return given;
  const v = env.OPENEXPERT_OFFLINE?.trim().toLowerCase();
  if (!v || v === 'auto') return 'auto';
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new TypeError(`OPENEXPERT_OFFLINE must be true, false or auto, got '${env.OPENEXPERT_OFFLINE}'`);
}

/** A run id made on the client, in MLflow's form (32 hex digits), for a run logged offline. */
const localRunId = () => randomUUID().replace(/-/g, '');

function defaultUrl(env: NodeJS.ProcessEnv): string {
  const mlflow = env.MLFLOW_TRACKING_URI;
  return env.OPENEXPERT_URL || (mlflow && /^https?:\/\//.test(mlflow) ? mlflow : undefined) || 'http://127.0.0.1:5000';
}

class Experiments {
  constructor(private readonly http: HttpClient) {}

  create(name: string, opts: CreateExperimentOptions = {}): Promise<Experiment> {
    return this.http.request('POST', '/api/v1/experiments', {
      body: { name, ...(opts.artifactLocation ? { artifactLocation: opts.artifactLocation } : {}), tags: toKeyValues(opts.tags), ...(opts.project ? { project: opts.project } : {}) },
    });
  }

  get(experimentId: string): Promise<Experiment> {
    return this.http.request('GET', `/api/v1/experiments/${enc(experimentId)}`);
  }

  /** The experiment with this name (deleted ones included), or undefined when there is none. */
  async getByName(name: string): Promise<Experiment | undefined> {
    try {
      return await this.http.request<Experiment>('GET', `/api/v1/experiments/by-name/${enc(name)}`);
    } catch (err) {
      if (err instanceof OpenExpertError && err.code === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw err;
    }
  }

  /** The active experiment with this name, created if missing; safe when several processes race to create it. */
  async getOrCreate(name: string, opts: CreateExperimentOptions = {}): Promise<Experiment> {
    let experiment = await this.getByName(name);
    if (!experiment) {
      try {
        experiment = await this.create(name, opts);
      } catch (err) {
        if (!(err instanceof OpenExpertError && err.code === 'RESOURCE_ALREADY_EXISTS')) throw err;
        experiment = await this.getByName(name);
        if (!experiment) throw err;
      }
    }
    if (experiment.lifecycleStage !== 'active') {
      throw new OpenExpertError('INVALID_STATE', 0, `Experiment '${name}' (id ${experiment.experimentId}) is deleted; restore it or choose another name`);
    }
    return experiment;
  }

  /** With `project`, only that project's experiments. */
  search(opts: SearchExperimentsOptions & { readonly project?: string } = {}): Promise<Page<Experiment>> {
    return this.http.request('GET', '/api/v1/experiments', {
      query: { filter: opts.filter, orderBy: opts.orderBy, maxResults: opts.maxResults, pageToken: opts.pageToken, view: opts.view, project: opts.project },
    });
  }

  async delete(experimentId: string): Promise<void> {
    await this.http.request('DELETE', `/api/v1/experiments/${enc(experimentId)}`);
  }

  async restore(experimentId: string): Promise<void> {
    await this.http.request('POST', `/api/v1/experiments/${enc(experimentId)}/restore`);
  }
}

class Runs {
  constructor(private readonly http: HttpClient) {}

  async get(runId: string): Promise<Run> {
    return runFromWire(await this.http.request<Run>('GET', `/api/v1/runs/${enc(runId)}`));
  }

  async search(opts: SearchRunsOptions): Promise<Page<Run>> {
    const page = await this.http.request<Page<Run>>('POST', '/api/v1/runs/search', { body: opts });
    return { ...page, items: page.items.map(runFromWire) };
  }

  /** Every logged point of one metric, oldest first, following page tokens. */
  async metricHistory(runId: string, key: string): Promise<Metric[]> {
    const points: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const page: Page<WireMetric> = await this.http.request('GET', `/api/v1/runs/${enc(runId)}/metrics/${enc(key)}/history`, { query: { pageToken } });
      for (const m of page.items) points.push(metricFromWire(m));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return points;
  }
}

/**
 * The OpenExpert client. `startRun` is the training-script entry point; `experiments` and `runs` read
 * and manage what is there.
 *
 * ```ts
 * const oe = new OpenExpert();
 * const run = await oe.startRun({ experiment: 'churn', runName: 'baseline' });
 * run.logParams({ lr: 0.01 });
 * for (let step = 0; step < 100; step++) run.logMetric('loss', loss(step), { step });
 * await run.end();
 * ```
 */
export class OpenExpert {
  readonly url: string;
  readonly experiments: Experiments;
  readonly runs: Runs;
  readonly sweeps: Sweeps;
  readonly prompts: Prompts;
  readonly features: Features;
  readonly explanations: Explanations;
  /** Human review queues: labelling, agreement, export to datasets. */
  readonly review: Review;
  /** RAG retrieval evaluations (recall@k, nDCG, MRR of a retriever on a question set). */
  readonly retrieval: RetrievalEvaluations;
  /** Compute usage and cost of runs, and budgets over them. */
  readonly compute: Compute;
  private readonly http: HttpClient;
  private readonly flushIntervalMs: number | undefined;
  private readonly offline: boolean | 'auto';
  /** Where this client keeps runs it could not send. */
  readonly offlineDir: string;
  private readonly syncIntervalMs: number;

  constructor(opts: OpenExpertOptions = {}) {
    const env = process.env;
    this.http = new HttpClient(
      opts.url ?? defaultUrl(env),
      opts.token ?? (env.OPENEXPERT_TOKEN || env.MLFLOW_TRACKING_TOKEN || undefined),
      opts.fetch ?? fetch,
      opts.retry,
    );
    this.url = this.http.baseUrl;
    this.flushIntervalMs = opts.flushIntervalMs;
    this.offline = offlineMode(opts.offline, env);
    this.offlineDir = opts.offlineDir ?? defaultWalDir(env);
    this.syncIntervalMs = opts.syncIntervalMs ?? 30_000;
    this.experiments = new Experiments(this.http);
    this.runs = new Runs(this.http);
    this.sweeps = new Sweeps(this.http);
    this.prompts = new Prompts(this.http);
    this.features = new Features(this.http);
    this.explanations = new Explanations(this.http);
    this.review = new Review(this.http);
    this.retrieval = new RetrievalEvaluations(this.http);
    this.compute = new Compute(this.http);
  }

  /**
   * Creates a run and returns it ready for logging. The create carries an Idempotency-Key, so a retry
   * after a lost response returns the same run instead of making a second one. Offline (or, in `'auto'`
   * mode, when the server cannot be reached) the run gets an id made here and is logged to a local log.
   */
  async startRun(opts: StartRunOptions = {}): Promise<ActiveRun> {
    if (opts.experiment !== undefined && opts.experimentId !== undefined) throw new TypeError("Pass 'experiment' or 'experimentId', not both");
    const given = opts.tags ?? {};
    const tags = toKeyValues({ ...sourceTags(given), ...given });
    const startTime = Date.now();
    if (this.offline === true) return this.startOffline(opts, tags, startTime);
    let run: Run;
    try {
      const experimentId = opts.experiment !== undefined ? (await this.experiments.getOrCreate(opts.experiment)).experimentId : (opts.experimentId ?? '0');
      run = await this.http.request<Run>('POST', '/api/v1/runs', {
        body: { experimentId, ...(opts.runName ? { runName: opts.runName } : {}), startTime, tags },
        headers: { 'idempotency-key': randomUUID() },
      });
    } catch (err) {
      if (this.offline !== 'auto' || !unreachable(err)) throw err;
      const active = await this.startOffline(opts, tags, startTime);
      console.error(`openexpert: the server is unreachable (${(err as Error).message}); run ${active.runId} is logged to ${walFile(this.offlineDir, active.runId)} and sent when the server is back (or by \`openexpert sync\`)`);
      return active;
    }
    const sink = this.offline === 'auto' ? new FallbackSink(this.http, run.info.runId, this.offlineOptions(this.syncIntervalMs)) : undefined;
    return new ActiveRun(this.http, runFromWire(run), this.flushIntervalMs, sink);
  }

  /**
   * Sends the runs kept offline (all of them, or those named by their offline ids), each record once, and
   * says what went: safe to run again at any time, also while other processes log or sync.
   */
  sync(runIds?: readonly string[]): Promise<SyncedRun[]> {
    return syncOffline({ http: this.http, experimentIdFor: async (name) => (await this.experiments.getOrCreate(name)).experimentId }, this.offlineDir, runIds);
  }

  private offlineOptions(syncIntervalMs: number): OfflineOptions {
    return { dir: this.offlineDir, syncIntervalMs, sync: (runIds) => this.sync(runIds) };
  }

  private async startOffline(opts: StartRunOptions, tags: KeyValue[], startTime: number): Promise<ActiveRun> {
    const runId = localRunId();
    const log = RunLog.open(this.offlineDir, runId);
    await log.append([{
      op: 'create', startTime, tags,
      ...(opts.experiment !== undefined ? { experiment: opts.experiment } : { experimentId: opts.experimentId ?? '0' }),
      ...(opts.runName ? { runName: opts.runName } : {}),
    }]);
    const run: Run = {
      info: {
        runId, runName: opts.runName ?? '', experimentId: opts.experimentId ?? '', userId: '', status: 'RUNNING', startTime, endTime: null,
        artifactUri: '', lifecycleStage: 'active',
      },
      data: { metrics: [], params: [], tags },
      inputs: [],
      modelInputs: [],
      modelOutputs: [],
    };
    // Told to be offline: nothing is tried in the background; `sync` sends it.
    return new ActiveRun(this.http, run, this.flushIntervalMs, new WalSink(log, this.offlineOptions(this.offline === true ? 0 : this.syncIntervalMs)));
  }
}
