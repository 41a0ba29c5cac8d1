import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sha256OfFile } from './capture.js';

/**
 * The step cache: file contents stored once by sha256 (`objects/ab/abcd…`) and one entry per step key naming the
 * files its outputs held (`entries/<key>.json`). An entry is written last, by rename, so a step killed mid-way or a
 * runner that crashed before the entry leaves no entry and the step runs again. Every use re-hashes the objects, so
 * a corrupted cache is detected and not trusted.
 */
export interface CachedFile {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

export interface CacheEntry {
  readonly key: string;
  readonly step: string;
  readonly files: readonly CachedFile[];
  /** The run that produced the outputs, when the pipeline was tracked. */
  readonly runId?: string;
  readonly createdAt: number;
}

export type Lookup =
  | { readonly kind: 'miss' }
  | { readonly kind: 'corrupt'; readonly reason: string }
  | { readonly kind: 'hit'; readonly entry: CacheEntry };

export class StepCache {
  constructor(readonly root: string) {}

  private entryFile = (key: string) => path.join(this.root, 'entries', `${key}.json`);
  private objectFile = (sha: string) => path.join(this.root, 'objects', sha.slice(0, 2), sha);

  /** Looks the key up; with `verify` every object is re-hashed (the cost is reading the outputs once). */
  async lookup(key: string, verify = true): Promise<Lookup> {
    let entry: CacheEntry;
    try {
      entry = JSON.parse(fs.readFileSync(this.entryFile(key), 'utf8')) as CacheEntry;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'miss' };
      return { kind: 'corrupt', reason: `entry ${key} is unreadable (${(err as Error).message})` };
    }
    if (entry.key !== key || !Array.isArray(entry.files)) return { kind: 'corrupt', reason: `entry ${key} does not describe that key` };
    if (verify) {
      for (const f of entry.files) {
        const object = this.objectFile(f.sha256);
        const actual = fs.existsSync(object) ? await sha256OfFile(object) : 'missing';
        if (actual !== f.sha256) {
          // A bad copy must not be kept: the rerun stores the file again under its digest.
          fs.rmSync(object, { force: true });
          return { kind: 'corrupt', reason: `cached copy of '${f.path}' ${actual === 'missing' ? 'is missing' : `has digest ${actual.slice(0, 12)}…, not ${f.sha256.slice(0, 12)}…`}` };
        }
      }
    }
    return { kind: 'hit', entry };
  }

  /** Stores the files (each once, by content) and then the entry. */
  async store(entry: CacheEntry, absolute: (relative: string) => string): Promise<void> {
    for (const f of entry.files) {
      const object = this.objectFile(f.sha256);
      if (fs.existsSync(object)) continue;
      fs.mkdirSync(path.dirname(object), { recursive: true });
      const partial = `${object}.${process.pid}.part`;
      fs.copyFileSync(absolute(f.path), partial);
      fs.renameSync(partial, object);
    }
    const file = this.entryFile(entry.key);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.${process.pid}.part`, JSON.stringify(entry));
    fs.renameSync(`${file}.${process.pid}.part`, file);
  }

  /** Puts the cached files back at their paths (copies: the workspace may edit them without harming the cache). */
  restore(entry: CacheEntry, absolute: (relative: string) => string): void {
    for (const f of entry.files) {
      const out = absolute(f.path);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.copyFileSync(this.objectFile(f.sha256), out);
    }
  }

  forget(key: string): void {
    fs.rmSync(this.entryFile(key), { force: true });
  }
}

/** sha256 of a canonical JSON rendering: object keys sorted, so the same facts always give the same key. */
export function canonicalDigest(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}
