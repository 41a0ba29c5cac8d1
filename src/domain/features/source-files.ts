import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { invalid } from '../../core/errors.js';
import type { LocalFile } from '../datasets/data-file.js';
import type { SourceDef } from './types.js';

/** How a feature view's source is read: local copies of its table files for the length of `work`. */
export interface SourceFiles {
  with<T>(source: SourceDef, work: (files: LocalFile[]) => Promise<T>): Promise<T>;
  /** Refuses a source the server may not read from (a path outside the configured folders). */
  check(source: SourceDef): Promise<void>;
}

export interface SourceFileDeps {
  /** A dataset version's table files (as the platform reads them, digest-checked). */
  dataset<T>(ref: string, work: (files: LocalFile[]) => Promise<T>): Promise<T>;
  /** An object of an S3 bucket as a stream. */
  s3(bucket: string, key: string): Promise<Readable>;
  /** Folders path sources must be in; absent: anywhere the server can read. */
  pathRoots?: readonly string[] | undefined;
}

const inside = (file: string, root: string) => file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
const realOrResolved = async (p: string) => fs.realpath(p).catch(() => path.resolve(p));

/** Dataset versions through the datasets module, paths as they are, S3 objects copied to a temp file first. */
export function sourceFiles(deps: SourceFileDeps): SourceFiles {
  const roots = deps.pathRoots === undefined ? undefined : Promise.all(deps.pathRoots.map(realOrResolved));
  /**
   * The file a path source names, symlinks resolved, refused outside the roots before anything tells whether it
   * exists (so the error cannot be used to probe the server's disk).
   */
  const confined = async (p: string): Promise<string> => {
    const allowed = await roots;
    const real = await realOrResolved(p);
    if (allowed !== undefined && !allowed.some((r) => inside(real, r))) {
      throw invalid(allowed.length === 0
        ? `source path '${p}' cannot be used: this server reads no path sources (start it with --feature-source-roots <folders>, or use a dataset version or an S3 URI)`
        : `source path '${p}' is outside the folders this server reads feature sources from (--feature-source-roots: ${deps.pathRoots!.join(', ')})`);
    }
    return real;
  };
  return {
    async check(source) {
      if (source.kind === 'path') await confined(source.path);
    },
    async with(source, work) {
      if (source.kind === 'dataset') return deps.dataset(source.dataset, work);
      if (source.kind === 'path') {
        const real = await confined(source.path);
        try {
          await fs.access(real);
        } catch {
          throw invalid(`Source '${source.path}' cannot be read on the server`);
        }
        return work([{ local: real, name: source.path }]);
      }
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(source.uri)!;
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oe-features-'));
      const local = path.join(dir, path.basename(m[2]!));
      try {
        await pipeline(await deps.s3(m[1]!, m[2]!), createWriteStream(local));
        return await work([{ local, name: source.uri }]);
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  };
}
