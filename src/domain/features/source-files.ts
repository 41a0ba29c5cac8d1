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
  /**
   * Folders path sources must be in, and `s3://bucket/prefix` URIs S3 sources must be under; absent: anywhere
   * the server can read (with its own file rights and S3 credentials).
   */
  pathRoots?: readonly string[] | undefined;
}

const isS3Uri = (r: string) => r.startsWith('s3://');
/** `s3://b/data` holds `s3://b/data/x.parquet`, not `s3://b/database.parquet`; `s3://b` and `s3://b/` hold the whole bucket. */
const underPrefix = (uri: string, root: string) => uri.startsWith(root.endsWith('/') ? root : `${root}/`);
const inside = (file: string, root: string) => file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
const realOrResolved = async (p: string) => fs.realpath(p).catch(() => path.resolve(p));

/** Dataset versions through the datasets module, paths as they are, S3 objects copied to a temp file first. */
export function sourceFiles(deps: SourceFileDeps): SourceFiles {
  const s3Roots = deps.pathRoots?.filter(isS3Uri);
  const folders = deps.pathRoots?.filter((r) => !isS3Uri(r));
  const roots = folders === undefined ? undefined : Promise.all(folders.map(realOrResolved));
  /**
   * The file a path source names, symlinks resolved, refused outside the roots before anything tells whether it
   * exists (so the error cannot be used to probe the server's disk).
   */
  const confined = async (p: string): Promise<string> => {
    const allowed = await roots;
    const real = await realOrResolved(p);
    if (allowed !== undefined && !allowed.some((r) => inside(real, r))) {
      throw invalid(allowed.length === 0
        ? `source path '${p}' cannot be used: this server reads no path sources (start it with --feature-source-roots <folders>, or use a dataset version)`
        : `source path '${p}' is outside the folders this server reads feature sources from (--feature-source-roots: ${folders!.join(', ')})`);
    }
    return real;
  };
  /** An S3 source is read with the server's credentials: with roots configured, only under the S3 prefixes among them. */
  const s3Confined = (uri: string): void => {
    if (s3Roots === undefined || s3Roots.some((r) => underPrefix(uri, r))) return;
    throw invalid(s3Roots.length === 0
      ? `source URI '${uri}' cannot be used: this server reads no S3 sources (name s3://bucket/prefix in --feature-source-roots, or use a dataset version)`
      : `source URI '${uri}' is outside the S3 prefixes this server reads feature sources from (--feature-source-roots: ${s3Roots.join(', ')})`);
  };
  return {
    async check(source) {
      if (source.kind === 'path') await confined(source.path);
      if (source.kind === 's3') s3Confined(source.uri);
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
      s3Confined(source.uri);
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
