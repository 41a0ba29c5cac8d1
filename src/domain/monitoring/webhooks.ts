/**
 * Webhook deliveries: signed with HMAC-SHA256 over `<timestamp>.<body>` (the receiver recomputes it
 * with the shared secret and rejects stale timestamps), stored before they are sent, retried with
 * exponential backoff, and claimed by compare-and-set so several replicas never send one twice.
 * A receiver that is down delays nothing but its own deliveries.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { MonitoringStore } from './monitoring.store.js';
import type { Delivery } from './types.js';

export const SIGNATURE_HEADER = 'x-openexpert-signature';
export const TIMESTAMP_HEADER = 'x-openexpert-timestamp';

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers: true when the signature matches and the timestamp (seconds) is within the tolerance. */
export function verifyWebhookSignature(
  secret: string, body: string, headers: { signature: string | undefined; timestamp: string | undefined }, nowSeconds: number, toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface DispatcherOptions {
  /** First retry delay; each further retry doubles it. */
  readonly backoffMs?: number;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  /** How often due retries are looked for. */
  readonly pollMs?: number;
}

export interface DeliveryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly backoffMs: number;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly store: MonitoringStore,
    private readonly clock: Clock,
    private readonly log: DeliveryLog,
    options: DispatcherOptions = {},
    private readonly onOutcome: (d: Delivery, delivered: boolean, detail: string) => Promise<void> = async () => {},
  ) {
    this.backoffMs = options.backoffMs ?? 2000;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.pollMs = options.pollMs ?? 1000;
  }

  start(): void {
    this.timer ??= setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Sends whatever is due soon, without making the caller wait for receivers. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverDue()
      .catch((err: unknown) => this.log.warn({ err }, 'webhook delivery round failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits until the round in progress, if any, has finished (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async deliverDue(): Promise<void> {
    const now = this.clock.now();
    const claimed = await this.store.claimDueDeliveries(now, now + this.timeoutMs * 2 + 1000, 20);
    await Promise.all(claimed.map((d) => this.send(d)));
  }

  private async send(d: Delivery): Promise<void> {
    const ts = Math.floor(this.clock.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-openexpert-event': d.kind,
          'x-openexpert-delivery': d.deliveryId,
          [TIMESTAMP_HEADER]: String(ts),
          [SIGNATURE_HEADER]: signWebhook(d.secret, ts, d.payload),
        },
        body: d.payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `receiver answered ${res.status}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const attempts = d.attempts + 1;
    const now = this.clock.now();
    if (error === null) {
      await this.store.recordDeliveryAttempt(d.deliveryId, { status: 'delivered', attempts, nextAttemptAt: now, lastError: null, lastStatus: status, deliveredAt: now });
      this.log.info({ delivery: d.deliveryId, kind: d.kind, url: d.url, attempts }, 'webhook delivered');
      await this.onOutcome(d, true, `delivered after ${attempts} attempt(s)`);
      return;
    }
    const giveUp = attempts >= this.maxAttempts;
    await this.store.recordDeliveryAttempt(d.deliveryId, {
      status: giveUp ? 'failed' : 'pending', attempts, nextAttemptAt: now + this.backoffMs * 2 ** (attempts - 1), lastError: error, lastStatus: status, deliveredAt: null,
    });
    this.log.warn({ delivery: d.deliveryId, kind: d.kind, url: d.url, attempts, error }, giveUp ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry');
    if (giveUp) await this.onOutcome(d, false, error);
  }
}
