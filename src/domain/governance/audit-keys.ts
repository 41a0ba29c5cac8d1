import { createHmac } from 'node:crypto';
import { invalid } from '../../core/errors.js';

/** One audit key: entries and checkpoints name it by `id`, never carry the secret. */
export interface AuditKey {
  readonly id: string;
  readonly secret: Buffer;
}

/**
 * The keys the audit chain is signed with, held outside the database (a file or the environment). The newest (last)
 * signs; older ones stay so that entries and checkpoints they signed still verify after a rotation.
 */
export interface AuditKeyring {
  readonly current: AuditKey;
  get(id: string): AuditKey | undefined;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_SECRET_BYTES = 32;

/**
 * Parses `id=secret` pairs, one a line (a key file) or comma-separated (an environment variable); `#` starts a
 * comment. A secret of 64 hex digits is read as 32 bytes, anything else as its UTF-8 bytes; it must be 32 bytes or
 * more, as HMAC-SHA256's key should be.
 */
export function parseKeyring(text: string, source: string): AuditKeyring {
  const keys = new Map<string, AuditKey>();
  let current: AuditKey | undefined;
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    const id = eq < 0 ? '' : line.slice(0, eq).trim();
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    if (!KEY_ID.test(id)) throw invalid(`Invalid audit key in ${source}: each entry is 'id=secret' with an id of 1-64 letters, digits or . _ -`);
    const secret = /^[0-9a-fA-F]{64,}$/.test(value) && value.length % 2 === 0 ? Buffer.from(value, 'hex') : Buffer.from(value, 'utf8');
    if (secret.length < MIN_SECRET_BYTES) throw invalid(`Audit key '${id}' in ${source} is too short: at least ${MIN_SECRET_BYTES} bytes`);
    if (keys.has(id)) throw invalid(`Audit key '${id}' is given twice in ${source}`);
    current = { id, secret };
    keys.set(id, current);
  }
  if (!current) throw invalid(`No audit key in ${source}`);
  const signing = current;
  return { current: signing, get: (id) => keys.get(id) };
}

export const hmacHex = (key: AuditKey, ...parts: readonly string[]): string => {
  const mac = createHmac('sha256', key.secret);
  parts.forEach((p, i) => mac.update(i === 0 ? p : `\n${p}`));
  return mac.digest('hex');
};

/**
 * The chain's head as it stood at a moment, written outside the database: deleting entries up to it, or rewriting
 * any of them, no longer matches. `signature` is an HMAC under `keyId` ('' when the chain is keyless).
 */
export interface AuditCheckpoint {
  readonly seq: number;
  readonly head: string;
  readonly at: number;
  readonly keyId: string;
  readonly signature: string;
}

const checkpointText = (c: Omit<AuditCheckpoint, 'signature'>): string[] => ['openexpert-audit-checkpoint', String(c.seq), c.head, String(c.at), c.keyId];

export function signCheckpoint(c: Omit<AuditCheckpoint, 'keyId' | 'signature'>, keyring: AuditKeyring | undefined): AuditCheckpoint {
  if (!keyring) return { ...c, keyId: '', signature: '' };
  const keyId = keyring.current.id;
  return { ...c, keyId, signature: hmacHex(keyring.current, ...checkpointText({ ...c, keyId })) };
}

/** Why a checkpoint cannot be trusted, or undefined when its signature holds (or it is unsigned and no keys are set). */
export function checkpointProblem(c: AuditCheckpoint, keyring: AuditKeyring | undefined): string | undefined {
  if (c.keyId === '') return keyring ? 'the checkpoint is unsigned although the log is keyed' : undefined;
  const key = keyring?.get(c.keyId);
  if (!key) return `the checkpoint is signed with key '${c.keyId}', which this server does not hold`;
  return hmacHex(key, ...checkpointText(c)) === c.signature ? undefined : 'the checkpoint signature does not match';
}

/** Reads a checkpoint given by a person or another system (the copy a webhook received). */
export function parseCheckpoint(value: unknown): AuditCheckpoint | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Record<string, unknown>;
  if (typeof c.seq !== 'number' || !Number.isInteger(c.seq) || c.seq < 1) return undefined;
  if (typeof c.head !== 'string' || !/^[0-9a-f]{64}$/.test(c.head) || typeof c.at !== 'number') return undefined;
  if (typeof c.keyId !== 'string' || typeof c.signature !== 'string') return undefined;
  return { seq: c.seq, head: c.head, at: c.at, keyId: c.keyId, signature: c.signature };
}
