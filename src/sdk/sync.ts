import fs from 'node:fs';
import path from 'node:path';
import type { Run } from '../domain/tracking/types.js';
import { OpenExpertError, type HttpClient } from './http.js';
import { archive, lockFile, loggedRuns, readLog, readProgress, walFile, writeProgress, type WalProgress } from './wal.js';

/** What one run's log sent to the server in one sync. */
export interface SyncedRun {
  /** The id the run had offline (its log's name). */
  readonly runId: string;
  /** The run on the server (known once its create went through). */
  readonly serverRunId: string | null;
  readonly experimentId: string | null;
  /** Records sent now, and the points, params and tags in them. */
  readonly records: number;
  readonly metrics: number;
  readonly params: number;
  readonly tags: number;
  /** `synced`: all on the server and the run ended (the log moved to `synced/`); `partial`: all sent so far but the run is still being written; `skipped`: another process is syncing it; `failed`: see `error`. */
  readonly state: 'synced' | 'partial' | 'skipped' | 'failed';
  /** A crash cut the log's last record; it was left out. */
  readonly tornTail: boolean;
  readonly error?: string;
  /** The failure was the server's absence: nothing after this run was tried. */
  readonly unreachable?: boolean;
}

/** What sync needs from the client: requests, and an experiment id for a name (created when missing). */
export interface SyncTarget {
  readonly http: HttpClient;
  experimentIdFor(name: string): Promise<string>;
}

const enc = encodeURIComponent;

/** The server cannot be reached (or is failing): the sync stops and is tried again later; nothing is lost. */
export const unreachable = (err: unknown) => err instanceof OpenExpertError && (err.status === 0 || err.status === 429 || err.status >= 500);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file holding the owner's pid; one left by a dead process is taken over. */
export function takeLock(file: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(fs.readFileSync(file, 'utf8'));
      if (owner === process.pid || (Number.isInteger(owner) && owner > 0 && alive(owner))) return false;
      fs.rmSync(file, { force: true });
    }
  }
  return false;
}

/** Whether a live process still writes this run's log (see `RunLog`). */
export function writerAlive(dir: string, runId: string): boolean {
  try {
    const owner = Number(fs.readFileSync(lockFile(dir, runId), 'utf8'));
    return Number.isInteger(owner) && owner > 0 && alive(owner);
  } catch {
    return false;
  }
}

/**
 * Replays the logs in `dir` (or only `runIds`) to the server, in order, each record once: a record's
 * sequence number is its idempotency key, and progress is saved after each record, so a sync killed at
 * any point — or a server that dies mid-batch — leads to no loss and no duplicate on the next one. A run
 * whose writer died without ending it is ended as KILLED, at its last record's time, as a crashed MLflow
 * run is. Failures are reported per run; when the server cannot be reached the sync stops there.
 */
export async function syncOffline(target: SyncTarget, dir: string, runIds?: readonly string[]): Promise<SyncedRun[]> {
  const report: SyncedRun[] = [];
  for (const runId of runIds ?? loggedRuns(dir)) {
    if (!fs.existsSync(walFile(dir, runId))) continue;
    const lock = path.join(dir, `${runId}.sync`);
    if (!takeLock(lock)) {
      report.push({ runId, serverRunId: null, experimentId: null, records: 0, metrics: 0, params: 0, tags: 0, state: 'skipped', tornTail: false });
      continue;
    }
    let synced: SyncedRun;
    try {
      synced = await syncRun(target, dir, runId);
    } finally {
      fs.rmSync(lock, { force: true });
    }
    report.push(synced);
    if (synced.unreachable) break;
  }
  return report;
}

async function syncRun(target: SyncTarget, dir: string, runId: string): Promise<SyncedRun> {
  const { http } = target;
  const writing = writerAlive(dir, runId);
  const { records, tornTail } = readLog(walFile(dir, runId));
  let progress: WalProgress = readProgress(dir, runId);
  const counts = { records: 0, metrics: 0, params: 0, tags: 0 };
  const result = (state: SyncedRun['state'], error?: unknown): SyncedRun => ({
    runId, serverRunId: progress.serverRunId ?? null, experimentId: progress.experimentId ?? null, ...counts, state, tornTail,
    ...(error !== undefined ? { error: error instanceof Error ? error.message : String(error), ...(unreachable(error) ? { unreachable: true } : {}) } : {}),
  });
  const save = (next: WalProgress) => {
    progress = next;
    writeProgress(dir, runId, next);
  };
  let ended = records.some((r) => r.op === 'end');
  try {
    for (const record of records) {
      if (record.seq <= progress.syncedSeq) continue;
      if (record.op === 'create') {
        const experimentId = record.experimentId ?? (record.experiment !== undefined ? await target.experimentIdFor(record.experiment) : '0');
        const run = await http.request<Run>('POST', '/api/v1/runs', {
          body: { experimentId, ...(record.runName ? { runName: record.runName } : {}), startTime: record.startTime, tags: record.tags },
          headers: { 'idempotency-key': `offline-${runId}` },
        });
        save({ serverRunId: run.info.runId, experimentId, syncedSeq: record.seq });
      } else if (record.op === 'attach') {
        save({ ...progress, serverRunId: record.serverRunId, syncedSeq: record.seq });
      } else {
        const server = progress.serverRunId;
        if (!server) throw new Error(`record ${record.seq} comes before the run was created`);
        if (record.op === 'batch') {
          const batch = { params: record.params ?? [], tags: record.tags ?? [], metrics: record.metrics ?? [] };
          await http.request('POST', `/api/v1/runs/${enc(server)}/batch`, { body: batch, headers: { 'idempotency-key': `offline-${runId}-${record.seq}` } });
          counts.metrics += batch.metrics.length;
          counts.params += batch.params.length;
          counts.tags += batch.tags.length;
        } else {
          await http.request('PATCH', `/api/v1/runs/${enc(server)}`, { body: { status: record.status, endTime: record.endTime } });
        }
        save({ ...progress, syncedSeq: record.seq });
      }
      counts.records++;
    }
    if (!ended && !writing && progress.serverRunId) {
      // Nobody will end it: the process that wrote it is gone.
      const last = records.at(-1);
      const endTime = last?.op === 'batch' ? Math.max(...(last.metrics ?? []).map((m) => m.timestamp), 0) || Date.now() : Date.now();
      await http.request('PATCH', `/api/v1/runs/${enc(progress.serverRunId)}`, { body: { status: 'KILLED', endTime } });
      ended = true;
    }
  } catch (err) {
    return result('failed', err);
  }
  if (!ended) return result('partial');
  archive(dir, runId);
  return result('synced');
}
