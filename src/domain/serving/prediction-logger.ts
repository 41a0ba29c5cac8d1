import type { ServingStore } from './serving.store.js';
import type { ServingMetrics } from './serving-metrics.js';
import type { PredictionRecord } from './types.js';

/**
 * Sampled request/response pairs, written off the request path: `offer` only appends to a bounded
 * queue (and drops, counted, when it is full), and a timer writes the queue in batches. Inference
 * never waits for the database.
 */
export class PredictionLogger {
  private queue: PredictionRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  dropped = 0;

  constructor(
    private readonly store: ServingStore,
    private readonly metrics: ServingMetrics,
    private readonly capacity = 10_000,
    /** Where written predictions go next (the model's monitors); its failures never reach inference. */
    private readonly forward?: (records: readonly PredictionRecord[]) => Promise<void>,
    private readonly batchSize = 500,
  ) {}

  offer(record: PredictionRecord): boolean {
    if (this.queue.length >= this.capacity) {
      this.dropped++;
      this.metrics.predictionsDropped.inc({ deployment: record.deployment });
      return false;
    }
    this.queue.push(record);
    return true;
  }

  start(intervalMs = 250): void {
    this.timer ??= setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Writes what is queued; a batch the store refuses is dropped and counted rather than retried forever. */
  flush(): Promise<void> {
    this.writing ??= this.drain().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      try {
        await this.store.addPredictions(batch);
      } catch {
        this.dropped += batch.length;
        for (const r of batch) this.metrics.predictionsDropped.inc({ deployment: r.deployment });
        continue;
      }
      await this.forward?.(batch).catch(() => this.metrics.monitorForwardFailures.inc());
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
