import { appendFile, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { openArtifactStore } from '../../artifacts/open-artifact-store.js';
import type { S3Config } from '../../artifacts/s3.artifact-store.js';
import { invalid } from '../../core/errors.js';
import { parseCheckpoint, type AuditCheckpoint } from './audit-keys.js';

/** Where checkpoints go: somewhere the database's writers cannot rewrite. */
export interface CheckpointSink {
  /** For reports: the kind and place (never credentials). */
  readonly description: string;
  append(c: AuditCheckpoint): Promise<void>;
  /** The newest checkpoint written; undefined when none was, or when the sink cannot be read back (a webhook). */
  latest(): Promise<AuditCheckpoint | undefined>;
  readonly readable: boolean;
}

const TAIL_BYTES = 64 * 1024;

/** One JSON line per checkpoint, appended (O_APPEND); make the file append-only (`chattr +a`) or keep it on another host's mount. */
export class FileCheckpointSink implements CheckpointSink {
  readonly readable = true;
  readonly description: string;
  constructor(private readonly file: string) {
    this.description = `file ${file}`;
  }

  async append(c: AuditCheckpoint): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await appendFile(this.file, `${JSON.stringify(c)}\n`, { flag: 'a' });
  }

  async latest(): Promise<AuditCheckpoint | undefined> {
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, TAIL_BYTES);
      const { buffer: tail } = await handle.read(Buffer.alloc(length), 0, length, size - length);
      const lines = tail.toString('utf8').split('\n').filter((l) => l.trim() !== '');
      for (let i = lines.length - 1; i >= 0; i--) {
        try {
          const c = parseCheckpoint(JSON.parse(lines[i]!));
          if (c) return c;
        } catch {
          // A torn last line (a crash mid-append) is skipped; the one before it still anchors the chain.
        }
      }
      return undefined;
    } finally {
      await handle.close();
    }
  }
}

const KEY_DIGITS = 16;
const DIR = 'audit-checkpoints';

/**
 * One new object per checkpoint under `<prefix>/audit-checkpoints/`, named by zero-padded seq so the newest sorts
 * last; nothing is ever overwritten, so a bucket with Object Lock default retention keeps each one immutable.
 */
export class ObjectStoreCheckpointSink implements CheckpointSink {
  readonly readable = true;
  constructor(
    private readonly store: ArtifactStore,
    readonly description: string,
  ) {}

  async append(c: AuditCheckpoint): Promise<void> {
    const body = Buffer.from(JSON.stringify(c));
    await this.store.put(`${DIR}/${String(c.seq).padStart(KEY_DIGITS, '0')}-${c.at}.json`, Readable.from([body]), { contentLength: body.length });
  }

  async latest(): Promise<AuditCheckpoint | undefined> {
    const names = (await this.store.list(DIR)).filter((e) => !e.isDir && e.path.endsWith('.json')).map((e) => e.path.slice(e.path.lastIndexOf('/') + 1)).sort();
    const newest = names.at(-1);
    if (newest === undefined) return undefined;
    const { body } = await this.store.get(`${DIR}/${newest}`);
    return parseCheckpoint(JSON.parse((await buffer(body)).toString('utf8')));
  }
}

/** POSTs each checkpoint to a receiver the operator keeps (a SIEM, another team's service); `audit verify` then takes its copy. */
export class WebhookCheckpointSink implements CheckpointSink {
  readonly readable = false;
  readonly description: string;
  constructor(private readonly url: string) {
    const u = new URL(url);
    this.description = `webhook ${u.origin}${u.pathname}`;
  }

  async append(c: AuditCheckpoint): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'openexpert.audit.checkpoint', checkpoint: c }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`audit checkpoint webhook answered ${res.status}`);
  }

  async latest(): Promise<undefined> {
    return undefined;
  }
}

/** `file:///path` or a path, `s3://bucket/prefix`, or an `http(s)://` webhook. */
export function openCheckpointSink(uri: string, s3: S3Config): CheckpointSink {
  if (/^https?:\/\//i.test(uri)) return new WebhookCheckpointSink(uri);
  if (/^s3:\/\//i.test(uri)) return new ObjectStoreCheckpointSink(openArtifactStore(uri, s3), `object store ${uri}`);
  if (/^file:/i.test(uri)) {
    try {
      return new FileCheckpointSink(fileURLToPath(uri));
    } catch (err) {
      throw invalid(`Invalid audit checkpoint URI '${uri}': ${(err as Error).message}`);
    }
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]+:\/\//.test(uri)) throw invalid(`Unsupported audit checkpoint sink '${uri}': use a file path, file:///path, s3://bucket/prefix or an http(s) webhook`);
  return new FileCheckpointSink(path.resolve(uri));
}
