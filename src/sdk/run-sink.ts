import { randomUUID } from 'node:crypto';
import type { KeyValue, RunStatus } from '../domain/tracking/types.js';
import type { HttpClient } from './http.js';
import { unreachable, type SyncedRun } from './sync.js';
import { RunLog, walFile, type WireMetric } from './wal.js';

export interface Batch {
  readonly params?: KeyValue[];
  readonly tags?: KeyValue[];
  readonly metrics?: WireMetric[];
}

/** Where an ActiveRun's batches and its end go: the server, the offline log, or the server until it is gone. */
export interface RunSink {
  batch(batch: Batch): Promise<void>;
  end(status: RunStatus, endTime: number): Promise<void>;
}

const enc = encodeURIComponent;

async function post(http: HttpClient, runId: string, batch: Batch): Promise<void> {
  // One key per batch, the same on every retry: a batch whose response was lost is not stored twice.
  await http.request('POST', `/api/v1/runs/${enc(runId)}/batch`, { body: batch, headers: { 'idempotency-key': randomUUID() } });
}

async function patchEnd(http: HttpClient, runId: string, status: RunStatus, endTime: number): Promise<void> {
  await http.request('PATCH', `/api/v1/runs/${enc(runId)}`, { body: { status, endTime } });
}

export class HttpSink implements RunSink {
  constructor(
    private readonly http: HttpClient,
    private readonly runId: string,
  ) {}

  batch(batch: Batch): Promise<void> {
    return post(this.http, this.runId, batch);
  }

  end(status: RunStatus, endTime: number): Promise<void> {
    return patchEnd(this.http, this.runId, status, endTime);
  }
}

export interface OfflineOptions {
  readonly dir: string;
  /** How often a run logging offline tries to reach the server again (0: only `openexpert sync`). */
  readonly syncIntervalMs: number;
  /** Replays the named logs; failures come back in the report, never thrown. */
  sync(runIds: readonly string[]): Promise<SyncedRun[]>;
}

/**
 * Appends to the run's offline log, and — unless told not to — tries to replay it in the background and
 * once more when the run ends, so a server that comes back gets the run without anyone running `sync`.
 */
export class WalSink implements RunSink {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: RunLog,
    private readonly options: OfflineOptions,
  ) {
    if (options.syncIntervalMs > 0) {
      this.timer = setInterval(() => void options.sync([log.runId]), options.syncIntervalMs);
      this.timer.unref();
    }
  }

  batch(batch: Batch): Promise<void> {
    return this.log.append([{ op: 'batch', ...batch }]);
  }

  async end(status: RunStatus, endTime: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.log.append([{ op: 'end', status, endTime }]);
    await this.log.close();
    if (this.options.syncIntervalMs <= 0) return;
    const [outcome] = await this.options.sync([this.log.runId]);
    if (outcome && outcome.state !== 'synced') {
      console.error(`openexpert: run ${this.log.runId} is kept offline in ${walFile(this.options.dir, this.log.runId)}${outcome.error ? ` (${outcome.error})` : ''}; \`openexpert sync\` sends it`);
    }
  }
}

/**
 * Online until the server cannot be reached (after the client's retries): from then on the run is
 * continued in an offline log that names the server's run, so nothing logged is lost, and the log is
 * replayed when the server is back.
 */
export class FallbackSink implements RunSink {
  private offline: WalSink | undefined;

  constructor(
    private readonly http: HttpClient,
    private readonly runId: string,
    private readonly options: OfflineOptions,
  ) {}

  async batch(batch: Batch): Promise<void> {
    if (!this.offline) {
      try {
        return await post(this.http, this.runId, batch);
      } catch (err) {
        if (!unreachable(err)) throw err;
        await this.goOffline(err);
      }
    }
    return this.offline!.batch(batch);
  }

  async end(status: RunStatus, endTime: number): Promise<void> {
    if (!this.offline) {
      try {
        return await patchEnd(this.http, this.runId, status, endTime);
      } catch (err) {
        if (!unreachable(err)) throw err;
        await this.goOffline(err);
      }
    }
    return this.offline!.end(status, endTime);
  }

  private async goOffline(cause: unknown): Promise<void> {
    const log = RunLog.open(this.options.dir, this.runId);
    await log.append([{ op: 'attach', serverRunId: this.runId }]);
    this.offline = new WalSink(log, this.options);
    console.error(`openexpert: the server is unreachable (${cause instanceof Error ? cause.message : String(cause)}); run ${this.runId} continues in ${walFile(this.options.dir, this.runId)} and is sent when the server is back (or by \`openexpert sync\`)`);
  }
}
