import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KeyValue, RunStatus } from '../domain/tracking/types.js';

/**
 * The offline write-ahead log: one file per run, `<dir>/<runId>.wal`, one record per line as
 * `<seq> <checksum> <json>`, appended and fsync'd before the call that wrote it returns. The checksum
 * (16 hex digits of SHA-256 over the JSON) finds a record torn by a crash: only the last line may be
 * torn, and it is ignored; a bad line before a good one is corruption and stops the sync of that run.
 * Beside it, `<runId>.progress` (replaced atomically) says which records reached the server and under
 * which server run id, so a sync that is killed starts again where it stopped; the records' sequence
 * numbers are the idempotency keys the server deduplicates on, so a record sent twice is stored once.
 */
export interface WireMetric {
  readonly key: string;
  readonly value: number | string;
  readonly timestamp: number;
  readonly step: number;
}

export type WalEntry =
  | { readonly op: 'create'; readonly experiment?: string; readonly experimentId?: string; readonly runName?: string; readonly startTime: number; readonly tags: KeyValue[] }
  /** A run created on the server before it became unreachable: the log continues it. */
  | { readonly op: 'attach'; readonly serverRunId: string }
  | { readonly op: 'batch'; readonly params?: KeyValue[]; readonly tags?: KeyValue[]; readonly metrics?: WireMetric[] }
  | { readonly op: 'end'; readonly status: RunStatus; readonly endTime: number };

export type WalRecord = WalEntry & { readonly seq: number };

export interface WalProgress {
  /** The run on the server, once created (or attached). */
  readonly serverRunId?: string;
  readonly experimentId?: string;
  /** Records up to this sequence number are on the server. */
  readonly syncedSeq: number;
}

/** Where offline runs are kept unless told: $OPENEXPERT_OFFLINE_DIR, else ~/.openexpert/offline. */
export function defaultWalDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPENEXPERT_OFFLINE_DIR || path.join(os.homedir(), '.openexpert', 'offline');
}

const checksum = (json: string) => createHash('sha256').update(json).digest('hex').slice(0, 16);
const RUN_ID = /^[0-9a-f]{32}$/;

export const walFile = (dir: string, runId: string) => path.join(dir, `${runId}.wal`);
const progressFile = (dir: string, runId: string) => path.join(dir, `${runId}.progress`);
/** Holds the pid of the process writing the log, while it does. */
export const lockFile = (dir: string, runId: string) => path.join(dir, `${runId}.lock`);

/** The log of one run, open for appending. Appends are serialised; each one is durable when it resolves. */
export class RunLog {
  private seq: number;
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly runId: string,
    private readonly fd: number,
    lastSeq: number,
  ) {
    this.seq = lastSeq;
  }

  /** A new log (the directory is created); fails if the run already has one. */
  static open(dir: string, runId: string): RunLog {
    if (!RUN_ID.test(runId)) throw new TypeError(`Offline run id must be 32 hex digits, got '${runId}'`);
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(walFile(dir, runId), 'wx');
    // Who writes it: a sync leaves an unended run alone while this process lives (see writerAlive).
    fs.writeFileSync(lockFile(dir, runId), String(process.pid));
    // The new file's directory entry is durable too, or a crash could lose the whole log.
    syncDir(dir);
    return new RunLog(dir, runId, fd, 0);
  }

  append(entries: readonly WalEntry[]): Promise<void> {
    const lines = entries.map((e) => {
      const json = JSON.stringify({ ...e, seq: ++this.seq });
      return `${this.seq} ${checksum(json)} ${json}\n`;
    }).join('');
    const done = this.tail.then(() => {
      fs.writeSync(this.fd, lines);
      fs.fsyncSync(this.fd);
    });
    // The next append waits for this one, whether it failed or not; its caller sees the failure.
    this.tail = done.catch(() => undefined);
    return done;
  }

  async close(): Promise<void> {
    await this.tail;
    fs.closeSync(this.fd);
    fs.rmSync(lockFile(this.dir, this.runId), { force: true });
  }
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The intact records of a log; a torn last line (a crash mid-append) is left out and reported. */
export function readLog(file: string): { records: WalRecord[]; tornTail: boolean } {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // A complete log ends with a newline, so the last piece is empty; anything else there is a torn record.
  const last = lines.pop()!;
  const records: WalRecord[] = [];
  let tornTail = last !== '';
  for (const [i, line] of lines.entries()) {
    const m = /^(\d+) ([0-9a-f]{16}) (.*)$/.exec(line);
    const ok = m !== null && checksum(m[3]!) === m[2];
    const record = ok ? (JSON.parse(m[3]!) as WalRecord) : undefined;
    if (!record || record.seq !== Number(m![1]) || record.seq !== records.length + 1) {
      if (i === lines.length - 1 && last === '') {
        tornTail = true;
        break;
      }
      throw new Error(`${path.basename(file)}: record ${i + 1} is damaged (checksum or sequence) and is not the last one`);
    }
    records.push(record);
  }
  return { records, tornTail };
}

export function readProgress(dir: string, runId: string): WalProgress {
  try {
    return JSON.parse(fs.readFileSync(progressFile(dir, runId), 'utf8')) as WalProgress;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { syncedSeq: 0 };
    throw err;
  }
}

/** Written to a temporary file, fsync'd and renamed over the old one: a crash leaves the old or the new, never half. */
export function writeProgress(dir: string, runId: string, progress: WalProgress): void {
  const target = progressFile(dir, runId);
  const tmp = `${target}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(progress));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
  syncDir(dir);
}

/** The runs with a log in `dir`, oldest first. */
export function loggedRuns(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => n.endsWith('.wal') && RUN_ID.test(n.slice(0, -4)))
    .map((n) => ({ runId: n.slice(0, -4), mtime: fs.statSync(path.join(dir, n)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime)
    .map((r) => r.runId);
}

/** A fully synced run's files move to `<dir>/synced/`, out of the way of the next sync but kept for inspection. */
export function archive(dir: string, runId: string): void {
  const done = path.join(dir, 'synced');
  fs.mkdirSync(done, { recursive: true });
  fs.renameSync(walFile(dir, runId), path.join(done, `${runId}.wal`));
  fs.renameSync(progressFile(dir, runId), path.join(done, `${runId}.progress`));
}
