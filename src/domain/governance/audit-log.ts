import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { GovernanceStore } from './governance.store.js';
import type { AuditEntry, AuditFields } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

/** sha256 over the previous hash and the entry's fields in a fixed order, so any edit, deletion or reordering breaks the chain. */
export function chainHash(prevHash: string, seq: number, f: AuditFields): string {
  const canonical = JSON.stringify([seq, f.at, f.actor, f.action, f.status, f.requestId, f.sourceIp, f.summary]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|api[_-]?key|credential/i;

/** Body keys only, never values: values may hold secrets or PII, and keys are enough to tell what changed. */
export function bodySummary(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return '';
  return Object.keys(body)
    .map((k) => (SECRET_KEY.test(k) ? `${k}=[redacted]` : k))
    .sort()
    .join(',');
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly checked: number;
  /** Seq of the first entry whose hash or link does not match, when not ok. */
  readonly firstBadSeq?: number;
  readonly reason?: string;
}

/**
 * The oldest retained entry is trusted as the anchor (retention removes older ones); every later entry must
 * link to its predecessor, have the next seq, and hash to what it stores.
 */
export function verifyChain(entries: readonly AuditEntry[], previous?: AuditEntry): VerifyResult & { last?: AuditEntry } {
  let prev = previous;
  let checked = 0;
  for (const e of entries) {
    if (prev && e.seq !== prev.seq + 1) return { ok: false, checked, firstBadSeq: e.seq, reason: `expected seq ${prev.seq + 1}` };
    if (prev && e.prevHash !== prev.hash) return { ok: false, checked, firstBadSeq: e.seq, reason: 'does not link to the previous entry' };
    if (chainHash(e.prevHash, e.seq, e) !== e.hash) return { ok: false, checked, firstBadSeq: e.seq, reason: 'content does not match its hash' };
    prev = e;
    checked++;
  }
  return { ok: true, checked, ...(prev ? { last: prev } : {}) };
}

export class AuditLog {
  /** Appends are serialized in-process so each entry chains to the one before it. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: GovernanceStore,
    private readonly clock: Clock,
  ) {}

  append(fields: Omit<AuditFields, 'at'>): Promise<AuditEntry> {
    const next = this.tail.then(async () => {
      // Another server process may take the same seq first (the primary key refuses it); chain onto its entry instead.
      for (let attempt = 1; ; attempt++) {
        const last = await this.store.lastAudit();
        const seq = (last?.seq ?? 0) + 1;
        const prevHash = last?.hash ?? GENESIS_HASH;
        const f: AuditFields = { ...fields, at: this.clock.now() };
        const entry: AuditEntry = { ...f, seq, prevHash, hash: chainHash(prevHash, seq, f) };
        if (await this.store.appendAudit(entry)) return entry;
        if (attempt >= 10) throw new Error('Audit log append kept conflicting with other writers');
      }
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  list(filter: { afterSeq?: number; actor?: string; since?: number; limit: number }): Promise<AuditEntry[]> {
    return this.store.listAudit(filter);
  }

  async verify(): Promise<VerifyResult> {
    let previous: AuditEntry | undefined;
    let checked = 0;
    for (;;) {
      const page = await this.store.listAudit({ ...(previous ? { afterSeq: previous.seq } : {}), limit: 1000 });
      if (page.length === 0) return { ok: true, checked };
      const r = verifyChain(page, previous);
      checked += r.checked;
      if (!r.ok) return { ...r, checked };
      previous = r.last;
    }
  }

  /** Drops entries older than the retention period; returns how many. */
  prune(retentionDays: number): Promise<number> {
    return this.store.deleteAuditBefore(this.clock.now() - retentionDays * 86_400_000);
  }
}
