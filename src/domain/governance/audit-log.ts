import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { GovernanceStore } from './governance.store.js';
import type { AuditEntry, AuditFields, AuditFilter } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);
export const PRUNE_ACTION = 'audit.prune';

/**
 * sha256 over the previous hash and the entry's fields in a fixed order, so any edit, deletion or reordering breaks
 * the chain. Entries written before `object`/`detail` existed hash without them, and still verify.
 */
export function chainHash(prevHash: string, seq: number, f: AuditFields): string {
  const fields: unknown[] = [seq, f.at, f.actor, f.action, f.status, f.requestId, f.sourceIp, f.summary];
  if (f.object !== '' || f.detail !== '') fields.push(f.object, f.detail);
  return createHash('sha256').update(prevHash).update('\n').update(JSON.stringify(fields)).digest('hex');
}

export const SECRET_KEY = /pass(word)?|secret|token|authorization|api[_-]?key|credential|cookie/i;

/** Body keys only, never values: values may hold secrets or PII, and keys are enough to tell what changed. */
export function bodySummary(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return '';
  return Object.keys(body)
    .map((k) => (SECRET_KEY.test(k) ? `${k}=[redacted]` : k))
    .sort()
    .join(',');
}

const ARRAY_SAMPLE = 5;

/**
 * A summary safe to keep: every secret-named key's value replaced, strings cut to 200 characters, nesting cut at
 * depth 4, and long arrays (a batch of 1,000 metrics) shown by their first few items and their length.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= 4) return '[…]';
  if (Array.isArray(value)) {
    const head = value.slice(0, ARRAY_SAMPLE).map((v) => redactSecrets(v, depth + 1));
    return value.length > ARRAY_SAMPLE ? [...head, `… ${value.length - ARRAY_SAMPLE} more (${value.length} in all)`] : head;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactSecrets(v, depth + 1)]));
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Replaces e-mail addresses by a stable pseudonym, so an export stays joinable without naming anyone. */
export function redactEmails(text: string): string {
  return text.replace(EMAIL, (m) => `[email:${createHash('sha256').update(m.toLowerCase()).digest('hex').slice(0, 10)}]`);
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly checked: number;
  /** Seq of the first entry whose hash or link does not match, when not ok. */
  readonly firstBadSeq?: number;
  readonly reason?: string;
}

/** Every later entry must link to its predecessor, have the next seq, and hash to what it stores. */
export function verifyChain(entries: readonly AuditEntry[], previous?: AuditEntry): VerifyResult & { last?: AuditEntry } {
  let prev = previous;
  let checked = 0;
  for (const e of entries) {
    if (prev && e.seq !== prev.seq + 1) return { ok: false, checked, firstBadSeq: prev.seq + 1, reason: `entry ${prev.seq + 1} is missing or out of order` };
    if (prev && e.prevHash !== prev.hash) return { ok: false, checked, firstBadSeq: e.seq, reason: 'does not link to the previous entry' };
    if (chainHash(e.prevHash, e.seq, e) !== e.hash) return { ok: false, checked, firstBadSeq: e.seq, reason: 'content does not match its hash' };
    prev = e;
    checked++;
  }
  return { ok: true, checked, ...(prev ? { last: prev } : {}) };
}

interface PruneCheckpoint {
  readonly throughSeq: number;
  readonly throughHash: string;
}

const checkpointOf = (e: AuditEntry): PruneCheckpoint | undefined => {
  if (e.action !== PRUNE_ACTION) return undefined;
  try {
    const d = JSON.parse(e.detail) as Partial<PruneCheckpoint>;
    return typeof d.throughSeq === 'number' && typeof d.throughHash === 'string' ? { throughSeq: d.throughSeq, throughHash: d.throughHash } : undefined;
  } catch {
    return undefined;
  }
};

type AppendFields = Omit<AuditFields, 'at' | 'object' | 'detail'> & { object?: string; detail?: string };

/** At most this many entries go into one insert. */
const GROUP_LIMIT = 500;

export class AuditLog {
  /** Entries waiting for the writer, with their callers. */
  private pending: { fields: AuditFields; resolve(e: AuditEntry): void; reject(err: unknown): void }[] = [];
  private writing = false;
  /** The newest entry this process wrote (undefined until the first write). */
  private last: AuditEntry | undefined;

  constructor(
    private readonly store: GovernanceStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Queues an entry and resolves once it is stored. One writer per process chains entries in order; entries that
   * arrive while a write is in flight go together into the next insert (group commit), so a busy server pays one
   * statement per batch rather than per request.
   */
  append(fields: AppendFields): Promise<AuditEntry> {
    return new Promise((resolve, reject) => {
      this.pending.push({ fields: { ...fields, object: fields.object ?? '', detail: fields.detail ?? '', at: this.clock.now() }, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        // One turn of the event loop lets the other requests in flight queue their entries into this insert.
        await new Promise((resolve) => setImmediate(resolve));
        const group = this.pending.splice(0, GROUP_LIMIT);
        try {
          const entries = await this.write(group.map((g) => g.fields));
          group.forEach((g, i) => g.resolve(entries[i]!));
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * Chains the group onto the tail this process wrote last; when another process appended since, the insert is
   * refused as a whole (the primary key), and the group is chained again onto the real tail.
   */
  private async write(group: readonly AuditFields[]): Promise<AuditEntry[]> {
    for (let attempt = 1; ; attempt++) {
      let last = attempt === 1 && this.last !== undefined ? this.last : await this.store.lastAudit();
      const entries: AuditEntry[] = [];
      for (const f of group) {
        const seq = (last?.seq ?? 0) + 1;
        const prevHash = last?.hash ?? GENESIS_HASH;
        last = { ...f, seq, prevHash, hash: chainHash(prevHash, seq, f), keyId: '' };
        entries.push(last);
      }
      if (await this.store.appendAudit(entries)) {
        this.last = last;
        return entries;
      }
      if (attempt >= 10) throw new Error('Audit log append kept conflicting with other writers');
    }
  }

  list(filter: AuditFilter): Promise<AuditEntry[]> {
    return this.store.listAudit(filter);
  }

  /**
   * Recomputes the whole chain. The oldest retained entry is the anchor: when it is not entry 1, a retention
   * checkpoint further on must name it (what was pruned through, and that entry's hash), so deleting the oldest
   * rows by hand is found as well.
   */
  async verify(): Promise<VerifyResult> {
    let previous: AuditEntry | undefined;
    let first: AuditEntry | undefined;
    const checkpoints: PruneCheckpoint[] = [];
    let checked = 0;
    for (;;) {
      const page = await this.store.listAudit({ ...(previous ? { afterSeq: previous.seq } : {}), limit: 1000 });
      if (page.length === 0) break;
      first ??= page[0];
      const r = verifyChain(page, previous);
      checked += r.checked;
      if (!r.ok) return { ...r, checked };
      for (const e of page) {
        const c = checkpointOf(e);
        if (c) checkpoints.push(c);
      }
      previous = r.last;
    }
    if (first && first.seq !== 1 && !checkpoints.some((c) => c.throughSeq === first.seq - 1 && c.throughHash === first.prevHash)) {
      return { ok: false, checked, firstBadSeq: first.seq - 1, reason: `entries up to ${first.seq - 1} were removed without a retention checkpoint` };
    }
    return { ok: true, checked };
  }

  /**
   * Drops entries older than the retention period. A checkpoint naming the last dropped entry is appended to the
   * chain first, so `verify` can tell retention from deletion. Returns how many entries were dropped.
   */
  async prune(retentionDays: number): Promise<number> {
    const last = await this.store.lastAuditBefore(this.clock.now() - retentionDays * 86_400_000);
    if (!last) return 0;
    await this.append({
      actor: 'system', action: PRUNE_ACTION, status: 200, requestId: '', sourceIp: '', summary: `retention=${retentionDays}d`,
      object: 'audit', detail: JSON.stringify({ throughSeq: last.seq, throughHash: last.hash }),
    });
    return this.store.deleteAuditThrough(last.seq);
  }
}

const CSV_COLUMNS = ['seq', 'at', 'actor', 'action', 'status', 'object', 'requestId', 'sourceIp', 'summary', 'detail', 'prevHash', 'hash'] as const;
const csvCell = (v: unknown): string => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** An entry for export: with `redactPii`, e-mail addresses anywhere in it become stable pseudonyms (the exported hashes then no longer verify, by design). */
export function exportEntry(e: AuditEntry, redactPii: boolean): AuditEntry {
  if (!redactPii) return e;
  return { ...e, actor: redactEmails(e.actor), summary: redactEmails(e.summary), object: redactEmails(e.object), detail: redactEmails(e.detail) };
}

export function formatAuditExport(entries: readonly AuditEntry[], format: 'jsonl' | 'csv', redactPii: boolean): string {
  const rows = entries.map((e) => exportEntry(e, redactPii));
  if (format === 'jsonl') return rows.map((e) => JSON.stringify(e)).join('\n') + (rows.length ? '\n' : '');
  return [CSV_COLUMNS.join(','), ...rows.map((e) => CSV_COLUMNS.map((c) => csvCell(e[c])).join(','))].join('\n') + '\n';
}
