/**
 * Webhook deliveries: signed with HMAC-SHA256 over `<timestamp>.<body>` (the receiver recomputes it
 * with the shared secret and rejects stale timestamps), stored before they are sent, retried with
 * exponential backoff until `maxAttempts` (then `failed`, for good), and claimed atomically so several
 * replicas never send one at the same time. A claim is a lease: a process that dies mid-send leaves the
 * delivery to be claimed again once the lease runs out, so delivery is at least once; receivers
 * de-duplicate on the `idempotency-key` header (the delivery id, the same on every attempt).
 * A receiver that is down delays nothing but its own deliveries. One dispatcher serves every queue
 * (monitoring's alerts and retrain calls, LLM budget alerts): each queue is a `DeliveryQueue`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { DeliveryStatus } from './types.js';

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

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** What the dispatcher needs of a stored delivery. */
export interface QueuedDelivery {
  readonly deliveryId: string;
  /** Sent as `x-openexpert-event`. */
  readonly kind: string;
  readonly url: string;
  readonly secret: string;
  readonly payload: string;
  readonly attempts: number;
}

export interface DeliveryAttempt {
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly deliveredAt: number | null;
}

/** A durable queue of deliveries (a table). */
export interface DeliveryQueue<D extends QueuedDelivery = QueuedDelivery> {
  /** Claims up to `limit` pending deliveries due at `now` by pushing their next attempt to `leaseUntil`; two claimers never get the same one. */
  claimDueDeliveries(now: number, leaseUntil: number, limit: number): Promise<D[]>;
  recordDeliveryAttempt(deliveryId: string, outcome: DeliveryAttempt): Promise<void>;
}

/** A delivery in the shared `webhook_deliveries` queue: `source` is the module that queued it, `ownerId` what it is about. */
export interface WebhookDelivery extends QueuedDelivery {
  readonly source: string;
  readonly ownerId: string;
  readonly status: DeliveryStatus;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly lastStatus: number | null;
  readonly createdAt: number;
  readonly deliveredAt: number | null;
}

/** A new delivery, due now: the pending state of a `WebhookDelivery`. */
export function newDelivery(d: Pick<WebhookDelivery, 'deliveryId' | 'source' | 'ownerId' | 'kind' | 'url' | 'secret' | 'payload'>, now: number): WebhookDelivery {
  return { ...d, status: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, lastStatus: null, createdAt: now, deliveredAt: null };
}

export interface WebhookDeliveryStore extends DeliveryQueue<WebhookDelivery> {
  enqueue(d: WebhookDelivery): Promise<void>;
  /** Newest first. */
  list(source: string, ownerId: string, limit: number): Promise<WebhookDelivery[]>;
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

export class WebhookDispatcher<D extends QueuedDelivery = QueuedDelivery> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly backoffMs: number;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly store: DeliveryQueue<D>,
    private readonly clock: Clock,
    private readonly log: DeliveryLog,
    options: DispatcherOptions = {},
    private readonly onOutcome: (d: D, delivered: boolean, detail: string) => Promise<void> = async () => {},
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

  private async send(d: D): Promise<void> {
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
          [IDEMPOTENCY_HEADER]: d.deliveryId,
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
