import type { ModelVersion } from '../domain/registry/types.js';
import type { Importance } from '../domain/sweeps/importance.js';
import type { SweepConfigInput } from '../domain/sweeps/schemas.js';
import type { CurvePoint, SweepDetail, SweepLease, SweepSummary, Trial } from '../domain/sweeps/types.js';
import type { RequestOptions } from './http.js';

/** Anything that sends a request to the server: the SDK's HTTP client, or the CLI's (which adds `--user`). */
export interface Requester {
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
}

export interface CreateSweepOptions {
  readonly name: string;
  readonly experimentId: string;
  readonly config: SweepConfigInput;
  /** Trials in all; a grid sweep defaults to its grid's size. */
  readonly trials?: number;
}

type WireTrial = Omit<Trial, 'value' | 'curve'> & { value?: number | string; curve?: [number, number | string][] };
type WireSummary = Omit<SweepSummary, 'best'> & { best?: WireTrial };
type WireDetail = Omit<SweepDetail, 'best' | 'trials'> & { best?: WireTrial; trials: WireTrial[] };

/** NaN and ±Infinity arrive as strings, as metric values do. */
const trialFromWire = (t: WireTrial): Trial => {
  const { value, curve, ...rest } = t;
  return {
    ...rest,
    ...(value !== undefined ? { value: Number(value) } : {}),
    ...(curve ? { curve: curve.map(([s, v]): CurvePoint => [s, Number(v)]) } : {}),
  };
};
const summaryFromWire = (s: WireSummary): SweepSummary => {
  const { best, ...rest } = s;
  return { ...rest, ...(best ? { best: trialFromWire(best) } : {}) };
};
const detailFromWire = (s: WireDetail): SweepDetail => ({ ...summaryFromWire(s), trials: s.trials.map(trialFromWire) });

const path = (id: string, rest = '') => `/api/v1/sweeps/${encodeURIComponent(id)}${rest}`;

/**
 * Hyperparameter sweeps (`oe.sweeps`). The server decides what each trial tries and whether it stops; a
 * controller asks for a trial, runs it against the trial's run (`trial.runId`), and says how it ended:
 *
 * ```ts
 * const sweep = await oe.sweeps.create({ name: 'lr', experimentId, trials: 20, config: { method: 'tpe', metric: { name: 'loss' }, parameters: { lr: { type: 'log_uniform', min: 1e-4, max: 1 } } } });
 * for (let t = await oe.sweeps.ask(sweep.id); t; t = await oe.sweeps.ask(sweep.id)) {
 *   // train with t.params, logging `loss` by step to run t.runId; ask oe.sweeps.checkPrune(sweep.id, t.number) between steps
 *   await oe.sweeps.finish(sweep.id, t.number, { exitCode: 0 });
 * }
 * const best = await oe.sweeps.best(sweep.id);
 * ```
 */
export class Sweeps {
  constructor(private readonly http: Requester) {}

  async create(opts: CreateSweepOptions): Promise<SweepDetail> {
    return detailFromWire(await this.http.request<WireDetail>('POST', '/api/v1/sweeps', { body: opts }));
  }

  async get(id: string): Promise<SweepDetail> {
    return detailFromWire(await this.http.request<WireDetail>('GET', path(id)));
  }

  async list(opts: { experimentId?: string; maxResults?: number } = {}): Promise<SweepSummary[]> {
    const page = await this.http.request<{ items: WireSummary[] }>('GET', '/api/v1/sweeps', { query: { experimentId: opts.experimentId, maxResults: opts.maxResults } });
    return page.items.map(summaryFromWire);
  }

  /** The next trial to run (with a fresh child run), or undefined when the sweep has handed out all its trials. */
  async ask(id: string, opts: { host?: string; controller?: string } = {}): Promise<Trial | undefined> {
    const { trial } = await this.http.request<{ trial: WireTrial | null }>('POST', path(id, '/trials'), { body: opts });
    return trial ? trialFromWire(trial) : undefined;
  }

  async recordProcess(id: string, number: number, process: { pid: number; host: string }): Promise<Trial> {
    return trialFromWire(await this.http.request<WireTrial>('PUT', path(id, `/trials/${number}/process`), { body: process }));
  }

  /** Whether the trial should stop now (judged by the server on the objective's steps logged so far). */
  async checkPrune(id: string, number: number): Promise<{ stop: boolean; trial: Trial }> {
    const out = await this.http.request<{ stop: boolean; trial: WireTrial }>('POST', path(id, `/trials/${number}/prune-check`));
    return { stop: out.stop, trial: trialFromWire(out.trial) };
  }

  async finish(id: string, number: number, ending: { exitCode: number | null; signal?: string | null }): Promise<Trial> {
    return trialFromWire(await this.http.request<WireTrial>('POST', path(id, `/trials/${number}/finish`), { body: { exitCode: ending.exitCode, signal: ending.signal ?? null } }));
  }

  /** After a controller died: its running trials are handed out again; returns them (with their recorded processes). */
  async resume(id: string, opts: { controller?: string } = {}): Promise<Trial[]> {
    return (await this.http.request<{ interrupted: WireTrial[] }>('POST', path(id, '/resume'), { body: opts })).interrupted.map(trialFromWire);
  }

  /**
   * Takes or renews the sweep's controller lease (`granted: false` names the holder). While a controller holds a
   * live lease, asking for trials or resuming without its id is refused; the holder renews it well before `ttlMs`.
   */
  acquireLease(id: string, lease: { controller: string; host: string; pid: number; ttlMs?: number; takeOver?: string }): Promise<{ granted: boolean; lease: SweepLease }> {
    return this.http.request('POST', path(id, '/lease'), { body: lease });
  }

  async releaseLease(id: string, controller: string): Promise<void> {
    await this.http.request('DELETE', path(id, '/lease'), { query: { controller } });
  }

  async extend(id: string, trials: number): Promise<SweepDetail> {
    return detailFromWire(await this.http.request<WireDetail>('POST', path(id, '/extend'), { body: { trials } }));
  }

  async best(id: string): Promise<Trial> {
    return trialFromWire(await this.http.request<WireTrial>('GET', path(id, '/best')));
  }

  /** Each parameter's share of the objective's variance (fANOVA over a random forest of the complete trials), most important first. */
  importance(id: string, opts: { seed?: number; trees?: number } = {}): Promise<Importance> {
    return this.http.request<Importance>('GET', path(id, '/importance'), { query: { seed: opts.seed, trees: opts.trees } });
  }

  /** Registers the best trial's model (logged at `artifactPath`, default `model`) as a new version of `name`. */
  register(id: string, opts: { name: string; artifactPath?: string; description?: string }): Promise<ModelVersion> {
    return this.http.request<ModelVersion>('POST', path(id, '/register'), { body: opts });
  }
}
