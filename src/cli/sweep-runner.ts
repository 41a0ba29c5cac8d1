import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { invalid, invalidState } from '../core/errors.js';
import type { SweepDetail, Trial } from '../domain/sweeps/types.js';
import { Sweeps } from '../sdk/sweeps.js';
import type { Common } from './models.command.js';
import { formatNumber } from './output.js';
import { apiOf, prepareCapture, signalGroup, trackedRun, type PreparedCapture } from './tracked-run.js';

export interface SweepRunOptions extends Common {
  /** Trials running at once, each a process group on this machine. */
  readonly parallel: number;
  /** How often running trials are judged by the early-stopping rule. */
  readonly pollMs: number;
  /** The lease this controller already holds on the sweep (`sweep resume` takes it before resuming); else one is taken. */
  readonly lease?: ControllerLease;
}

/** How long a controller's lease lasts unless renewed; it is renewed every third of that. */
export const LEASE_MS = 60_000;

export interface ControllerLease {
  readonly controller: string;
  release(): Promise<void>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the sweep's lease for this process and renews it until released, so that a second controller refuses to
 * schedule or resume the same sweep. A holder on this host whose process is gone (killed outright) is taken over
 * at once; one elsewhere only once its lease expires.
 */
export async function holdLease(sweeps: Sweeps, sweepId: string): Promise<ControllerLease> {
  const host = os.hostname();
  const mine = { controller: `${host}:${process.pid}:${randomUUID().slice(0, 8)}`, host, pid: process.pid, ttlMs: LEASE_MS };
  let answer = await sweeps.acquireLease(sweepId, mine);
  if (!answer.granted && answer.lease.host === host && !alive(answer.lease.pid)) answer = await sweeps.acquireLease(sweepId, { ...mine, takeOver: answer.lease.controller });
  if (!answer.granted) {
    const l = answer.lease;
    throw invalidState(`Sweep ${sweepId} is driven by another controller (pid ${l.pid} on ${l.host}); its lease runs until ${new Date(l.expiresAt).toISOString()} `
      + 'unless renewed. Stop that controller, or wait until it ends or its lease expires, then resume');
  }
  const timer = setInterval(() => void sweeps.acquireLease(sweepId, mine).catch(() => undefined), LEASE_MS / 3);
  timer.unref();
  return {
    controller: mine.controller,
    release: async () => {
      clearInterval(timer);
      await sweeps.releaseLease(sweepId, mine.controller).catch(() => undefined);
    },
  };
}

/** Environment variable a parameter reaches the command under: SWEEP_ and its name, upper-cased, other characters `_`. */
export const paramEnvName = (name: string) => `SWEEP_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * The command for one trial: `{{name}}` in an argument becomes the parameter's value (empty when the parameter is
 * inactive), and an argument that is exactly `{{args}}` becomes `--name=value` per active parameter.
 */
export function trialCommand(command: readonly string[], declared: readonly string[], params: Trial['params']): string[] {
  const known = new Set(declared);
  return command.flatMap((arg) => {
    if (arg === '{{args}}') return Object.entries(params).map(([k, v]) => `--${k}=${String(v)}`);
    return [arg.replace(/\{\{\s*([^}\s]+)\s*\}\}/g, (_, name: string) => {
      if (!known.has(name)) throw invalid(`The command names {{${name}}}, which is not a parameter of the sweep (${[...known].join(', ')})`);
      return params[name] === undefined ? '' : String(params[name]);
    })];
  });
}

const describeTrial = (t: Trial, metric: string) => {
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : String(v)}`).join(' ');
  const value = t.value === undefined ? '' : ` ${metric}=${formatNumber(t.value)}`;
  return `trial ${t.number} ${t.state}${value}${t.state === 'COMPLETE' ? '' : t.reason ? ` (${t.reason})` : ''} [${params}]`;
};

/**
 * Runs a sweep's trials on local slots until the server hands out no more: each trial is `openexpert run` of the
 * command against the trial's run, in its own process group; running trials are judged every `pollMs`, and a
 * stopped one gets SIGTERM to its group. SIGINT/SIGTERM stop the controller and the trials it runs without
 * reporting them, so `openexpert sweep resume` hands them out again.
 */
export async function runSweep(opts: SweepRunOptions, sweepId: string, cwd: string, log: (line: string) => void = (l) => console.error(l)): Promise<SweepDetail> {
  const sweeps = new Sweeps({ request: apiOf(opts) });
  const sweep = await sweeps.get(sweepId);
  const command = sweep.config.command;
  if (!command?.length) throw invalid(`Sweep ${sweepId} declares no command: give it after --, e.g. openexpert sweep --config sweep.yaml -- python train.py`);
  const declared = sweep.config.parameters.map((p) => p.name);
  trialCommand(command, declared, {});
  const metric = sweep.config.metric.name;
  const host = os.hostname();
  const lease = opts.lease ?? await holdLease(sweeps, sweepId);
  let prepared: PreparedCapture | undefined;
  const running = new Map<number, { pid?: number; done: Promise<void>; stopped: boolean }>();
  let stopping = false;
  let exhausted = false;
  const stop = () => {
    stopping = true;
    for (const r of running.values()) if (r.pid) signalGroup(r.pid, 'SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    prepared = await prepareCapture(opts, command, cwd);
    let wake: () => void = () => undefined;
    const start = (trial: Trial) => {
      const entry: { pid?: number; done: Promise<void>; stopped: boolean } = { done: Promise.resolve(), stopped: false };
      const env: Record<string, string> = {
        OPENEXPERT_SWEEP_ID: sweepId, OPENEXPERT_TRIAL_NUMBER: String(trial.number), OPENEXPERT_TRIAL_PARAMS: JSON.stringify(trial.params),
        ...Object.fromEntries(Object.entries(trial.params).map(([k, v]) => [paramEnvName(k), String(v)])),
      };
      entry.done = (async () => {
        let ending: { exitCode: number | null; signal: string | null };
        try {
          const result = await trackedRun({
            ...opts, runId: trial.runId, env, echo: 'none', prepared,
            onSpawn: (pid) => {
              entry.pid = pid;
              void sweeps.recordProcess(sweepId, trial.number, { pid, host }).catch(() => undefined);
            },
          }, trialCommand(command, declared, trial.params), cwd);
          ending = { exitCode: result.exitCode, signal: result.signal };
        } catch (err) {
          log(`trial ${trial.number}: ${(err as Error).message}`);
          ending = { exitCode: null, signal: null };
        }
        if (stopping) return;
        const finished = await sweeps.finish(sweepId, trial.number, entry.stopped && !ending.signal ? { ...ending, signal: 'SIGTERM' } : ending);
        log(describeTrial(finished, metric));
      })().finally(() => {
        running.delete(trial.number);
        wake();
      });
      running.set(trial.number, entry);
    };

    while (!stopping) {
      while (!stopping && !exhausted && running.size < opts.parallel) {
        const trial = await sweeps.ask(sweepId, { host, controller: lease.controller }).catch((err: unknown) => {
          // A compute budget's hard stop: the running trials finish, no new one starts; `resume` goes on later.
          if ((err as { code?: string }).code !== 'INVALID_STATE' || !String((err as Error).message).startsWith('Compute budget')) throw err;
          log(`sweep ${sweepId}: ${(err as Error).message}`);
          return null;
        });
        if (!trial) exhausted = true;
        else start(trial);
      }
      if (running.size === 0) break;
      const woken = new Promise<void>((resolve) => {
        wake = resolve;
      });
      await Promise.race([woken, new Promise((r) => setTimeout(r, opts.pollMs))]);
      if (!sweep.config.earlyStopping || stopping) continue;
      for (const [number, r] of [...running]) {
        if (r.stopped) continue;
        const verdict = await sweeps.checkPrune(sweepId, number).catch(() => undefined);
        if (verdict?.stop && r.pid) {
          r.stopped = true;
          signalGroup(r.pid, 'SIGTERM');
        }
      }
    }
    await Promise.all([...running.values()].map((r) => r.done));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (!opts.lease) await lease.release();
  }
  if (stopping) log(`sweep ${sweepId} stopped; \`openexpert sweep resume ${sweepId}\` goes on where it left off`);
  return sweeps.get(sweepId);
}

/** Stops what a dead controller left running on this host: each trial's process group, if it is still there. */
export function stopLeftovers(trials: readonly Trial[]): number {
  const host = os.hostname();
  let stopped = 0;
  for (const t of trials) if (t.pid && t.host === host && signalGroup(t.pid, 'SIGTERM')) stopped++;
  return stopped;
}
