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
}

export interface SourceFileDeps {
  /** A dataset version's table files (as the platform reads them, digest-checked). */
  dataset<T>(ref: string, work: (files: LocalFile[]) => Promise<T>): Promise<T>;
  /** An object of an S3 bucket as a stream. */
  s3(bucket: string, key: string): Promise<Readable>;
}

/** Dataset versions through the datasets module, paths as they are, S3 objects copied to a temp file first. */
export function sourceFiles(deps: SourceFileDeps): SourceFiles {
  return {
    async with(source, work) {
      if (source.kind === 'dataset') return deps.dataset(source.dataset, work);
      if (source.kind === 'path') {
        try {
          await fs.access(source.path);
        } catch {
          throw invalid(`Source '${source.path}' cannot be read on the server`);
        }
        return work([{ local: source.path, name: source.path }]);
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
