import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { CheckpointSink } from './audit-checkpoint-sinks.js';
import { checkpointProblem, hmacHex, signCheckpoint, type AuditCheckpoint, type AuditKey, type AuditKeyring } from './audit-keys.js';
import type { GovernanceStore } from './governance.store.js';
import type { AuditEntry, AuditFields, AuditFilter } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);
export const PRUNE_ACTION = 'audit.prune';
/** Chained when the signing key changes (detail `{from, to}`), so a key change is never silent. */
export const KEY_ROTATED_ACTION = 'audit.key-rotated';

/**
 * The previous hash and the entry's fields in a fixed order, so any edit, deletion or reordering breaks the chain.
 * With a key: HMAC-SHA256 under it, the key's id included, so only a holder of the key can compute a valid entry.
 * Without one: plain sha256, as earlier versions wrote it (anyone can recompute it after an edit); entries written
 * before `object`/`detail` existed hash without them, and still verify.
 */
export function chainHash(prevHash: string, seq: number, f: AuditFields, key?: AuditKey): string {
  if (key) return hmacHex(key, prevHash, JSON.stringify([seq, f.at, f.actor, f.action, f.status, f.requestId, f.sourceIp, f.summary, f.object, f.detail, key.id]));
  const fields: unknown[] = [seq, f.at, f.actor, f.action, f.status, f.requestId, f.sourceIp, f.summary];
  if (f.object !== '' || f.detail !== '') fields.push(f.object, f.detail);
  return createHash('sha256').update(prevHash).update('\n').update(JSON.stringify(fields)).digest('hex');
}

const rotationOf = (e: AuditEntry): { from: string; to: string } | undefined => {
  if (e.action !== KEY_ROTATED_ACTION) return undefined;
  try {
    const d = JSON.parse(e.detail) as { from?: unknown; to?: unknown };
    return typeof d.from === 'string' && typeof d.to === 'string' ? { from: d.from, to: d.to } : undefined;
  } catch {
    return undefined;
  }
};

/** Why one entry does not verify against its predecessor and the keys, or undefined when it does. */
function entryProblem(e: AuditEntry, prev: AuditEntry | undefined, keyring: AuditKeyring | undefined): { seq: number; reason: string } | undefined {
  if (prev && e.seq !== prev.seq + 1) return { seq: prev.seq + 1, reason: `entry ${prev.seq + 1} is missing or out of order` };
  if (prev && e.prevHash !== prev.hash) return { seq: e.seq, reason: 'does not link to the previous entry' };
  let key: AuditKey | undefined;
  if (e.keyId === '') {
    if (prev && prev.keyId !== '') return { seq: e.seq, reason: 'is unsigned although the entries before it are signed (rewritten without the key)' };
  } else {
    key = keyring?.get(e.keyId);
    if (!key) return { seq: e.seq, reason: keyring ? `is signed with key '${e.keyId}', which this server does not hold` : `is signed with key '${e.keyId}': start the server with its audit keys to verify` };
    const rotation = rotationOf(e);
    if (prev && prev.keyId !== e.keyId && !(rotation && rotation.from === prev.keyId && rotation.to === e.keyId)) {
      return { seq: e.seq, reason: `the signing key changed from '${prev.keyId || 'none'}' to '${e.keyId}' without a recorded rotation` };
    }
  }
  if (chainHash(e.prevHash, e.seq, e, key) !== e.hash) return { seq: e.seq, reason: key ? 'content does not match its signature' : 'content does not match its hash' };
  return undefined;
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
  /** Whether the newest entry is signed with a key (keyed mode) rather than plainly hashed. */
  readonly keyed?: boolean;
  /** The external checkpoint the chain was held against, when there was one. */
  readonly checkpoint?: { readonly seq: number; readonly at: number; readonly source: string };
  /** Entries newer than that checkpoint: their deletion from the tail would not be detected until the next one. */
  readonly unanchored?: number;
}

/** Every later entry must link to its predecessor, have the next seq, and hash (or be signed) as it claims. */
export function verifyChain(entries: readonly AuditEntry[], previous?: AuditEntry, keyring?: AuditKeyring): VerifyResult & { last?: AuditEntry } {
  let prev = previous;
  let checked = 0;
  for (const e of entries) {
    const problem = entryProblem(e, prev, keyring);
    if (problem) return { ok: false, checked, firstBadSeq: problem.seq, reason: problem.reason };
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
  private lastCheckpointSeq = 0;
  /** The newest checkpoint this process wrote: what a sink that cannot be read back (a webhook) last received. */
  private lastCheckpoint: AuditCheckpoint | undefined;

  constructor(
    private readonly store: GovernanceStore,
    private readonly clock: Clock,
    private readonly options: { readonly keyring?: AuditKeyring | undefined; readonly sink?: CheckpointSink | undefined } = {},
  ) {}

  /**
   * Refuses to start a server that could not extend the chain validly: one whose newest entry is signed with a key
   * it does not hold (rotation must keep the old keys listed) or that would write unsigned entries after signed ones.
   */
  async checkKeys(): Promise<void> {
    const tail = await this.store.lastAudit();
    if (!tail || tail.keyId === '') {
      // A server with keys announces its key at once, so a log it keeps always ends signed: one that ends unsigned
      // (or is empty) was rewritten or emptied by someone without the key, and verify says so.
      if (this.options.keyring) {
        this.last = tail;
        await this.write([]);
      }
      return;
    }
    if (!this.options.keyring) throw new Error(`The audit log is signed (newest entry with key '${tail.keyId}'): start the server with its audit keys (--audit-keys-file or OPENEXPERT_AUDIT_KEYS)`);
    if (!this.options.keyring.get(tail.keyId)) throw new Error(`The newest audit entry is signed with key '${tail.keyId}', missing from the audit keys: keep old keys listed when adding a new one`);
  }

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
    const key = this.options.keyring?.current;
    for (let attempt = 1; ; attempt++) {
      let last = attempt === 1 && this.last !== undefined ? this.last : await this.store.lastAudit();
      const entries: AuditEntry[] = [];
      const chain = (f: AuditFields) => {
        const seq = (last?.seq ?? 0) + 1;
        const prevHash = last?.hash ?? GENESIS_HASH;
        last = { ...f, seq, prevHash, hash: chainHash(prevHash, seq, f, key), keyId: key?.id ?? '' };
        entries.push(last);
      };
      // A new signing key (or the first one) is announced in the chain, signed with it, before it signs anything else;
      // an empty group only announces it (at start), when it is new.
      const from = last?.keyId ?? '';
      const rotated = key !== undefined && (last !== undefined || group.length === 0) && from !== key.id;
      if (rotated) {
        chain({
          at: group[0]?.at ?? this.clock.now(), actor: 'system', action: KEY_ROTATED_ACTION, status: 200, requestId: '', sourceIp: '',
          summary: `signing key ${from || '(none)'} -> ${key.id}`, object: 'audit', detail: JSON.stringify({ from, to: key.id }),
        });
      }
      for (const f of group) chain(f);
      if (entries.length === 0) return [];
      if (await this.store.appendAudit(entries)) {
        this.last = last;
        return rotated ? entries.slice(1) : entries;
      }
      if (attempt >= 10) throw new Error('Audit log append kept conflicting with other writers');
    }
  }

  list(filter: AuditFilter): Promise<AuditEntry[]> {
    return this.store.listAudit(filter);
  }

  /**
   * Writes the chain's head (seq, hash, time), signed, to the external sink, when it moved since the last one this
   * process wrote. Returns what was written.
   */
  async checkpoint(): Promise<AuditCheckpoint | undefined> {
    const sink = this.options.sink;
    if (!sink) return undefined;
    const head = await this.store.lastAudit();
    if (!head || head.seq === this.lastCheckpointSeq) return undefined;
    // Never anchor a log that no longer holds the last checkpoint: a new checkpoint over a cut or rewritten tail would
    // become the newest, and verify would then hold the chain against it and find nothing wrong.
    const previous = (sink.readable ? await sink.latest() : undefined) ?? this.lastCheckpoint;
    if (previous) {
      if (head.seq < previous.seq) throw new Error(`The audit log ends at entry ${head.seq} but was checkpointed at entry ${previous.seq}: entries were deleted; not checkpointing over them (run audit verify)`);
      const [anchored] = await this.store.listAudit({ afterSeq: previous.seq - 1, limit: 1 });
      if (anchored?.seq === previous.seq && anchored.hash !== previous.head) throw new Error(`Audit entry ${previous.seq} differs from its checkpoint: the log was rewritten; not checkpointing over it (run audit verify)`);
      if (head.seq === previous.seq) return undefined;
    }
    const c = signCheckpoint({ seq: head.seq, head: head.hash, at: this.clock.now() }, this.options.keyring);
    await sink.append(c);
    this.lastCheckpointSeq = head.seq;
    this.lastCheckpoint = c;
    return c;
  }

  /**
   * Recomputes the whole chain (and with keys, every signature). The oldest retained entry is the anchor: when it is
   * not entry 1, a retention checkpoint further on must name it (what was pruned through, and that entry's hash), so
   * deleting the oldest rows by hand is found as well. The newest external checkpoint (the sink's, or one given) must
   * still match: its entry present with the hash it recorded, so deleted tail entries and re-hashed ones are found.
   */
  async verify(given?: AuditCheckpoint): Promise<VerifyResult> {
    const sink = this.options.sink;
    const anchor = given ?? (sink?.readable ? await sink.latest() : undefined);
    const source = given ? 'given' : (sink?.description ?? '');
    if (anchor) {
      const problem = checkpointProblem(anchor, this.options.keyring);
      if (problem) return { ok: false, checked: 0, firstBadSeq: anchor.seq, reason: problem };
    }
    let previous: AuditEntry | undefined;
    let first: AuditEntry | undefined;
    let anchored: AuditEntry | undefined;
    const checkpoints: PruneCheckpoint[] = [];
    let checked = 0;
    for (;;) {
      const page = await this.store.listAudit({ ...(previous ? { afterSeq: previous.seq } : {}), limit: 1000 });
      if (page.length === 0) break;
      first ??= page[0];
      const r = verifyChain(page, previous, this.options.keyring);
      checked += r.checked;
      if (!r.ok) return { ...r, checked };
      for (const e of page) {
        const c = checkpointOf(e);
        if (c) checkpoints.push(c);
        if (anchor && e.seq === anchor.seq) anchored = e;
      }
      previous = r.last;
    }
    if (first && first.seq !== 1 && !checkpoints.some((c) => c.throughSeq === first.seq - 1 && c.throughHash === first.prevHash)) {
      return { ok: false, checked, firstBadSeq: first.seq - 1, reason: `entries up to ${first.seq - 1} were removed without a retention checkpoint` };
    }
    const lastSeq = previous?.seq ?? 0;
    const keyed = previous !== undefined && previous.keyId !== '';
    // A server with keys signs from its start (`checkKeys`), and unsigned entries never follow signed ones: a log
    // it verifies that ends unsigned was re-hashed without the key from its first entry on, or cut back to before it.
    if (this.options.keyring && !keyed) {
      return { ok: false, checked, keyed, firstBadSeq: first?.seq ?? 1, reason: first
        ? 'the log is unsigned although this server signs it: rewritten without the key, or its signed entries deleted'
        : 'the log is empty although this server signs it: its entries were deleted' };
    }
    const report = anchor ? { checkpoint: { seq: anchor.seq, at: anchor.at, source }, unanchored: Math.max(0, lastSeq - anchor.seq) } : {};
    if (anchor && lastSeq < anchor.seq) {
      return { ok: false, checked, keyed, ...report, firstBadSeq: lastSeq + 1, reason: `entries ${lastSeq + 1} to ${anchor.seq} were deleted: the checkpoint of ${new Date(anchor.at).toISOString()} names entry ${anchor.seq}` };
    }
    if (anchor && anchored && anchored.hash !== anchor.head) {
      return { ok: false, checked, keyed, ...report, firstBadSeq: anchor.seq, reason: `entry ${anchor.seq} differs from the checkpoint of ${new Date(anchor.at).toISOString()}: the chain up to it was rewritten` };
    }
    return { ok: true, checked, keyed, ...report };
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
