import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { DigestStream } from '../../artifacts/digest-stream.js';
import { invalidState, isDomainError } from '../../core/errors.js';
import type { LocalFile } from './data-file.js';
import type { DatasetFile } from './types.js';

/** Content-addressed: the same bytes are stored once, whichever datasets and versions hold them. */
export const blobPath = (sha256: string): string => `datasets/blobs/${sha256.slice(0, 2)}/${sha256}`;

export const digestMismatch = (file: DatasetFile, owner: string) =>
  invalidState(`File '${file.path}' of '${owner}' no longer matches its digest ${file.sha256}: the stored copy changed`);

/** Passes a blob's bytes through and fails at the end when they are not the bytes its digest names. */
export class VerifyingStream extends DigestStream {
  constructor(
    private readonly expected: string,
    private readonly mismatch: () => Error,
  ) {
    super('dataset file');
  }

  override _flush(done: TransformCallback): void {
    super._flush((err) => (err ? done(err) : done(this.digest.sha256 === this.expected ? null : this.mismatch())));
  }
}

const missingBlob = (file: DatasetFile, owner: string) => invalidState(`File '${file.path}' of '${owner}' is missing from the artifact store`);

const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * Runs `work` on copies of dataset files that DuckDB can open. A local artifact store is read in place, so a
 * 1 GB file costs no copy; other stores are downloaded to a temporary folder. With `verify`, every file is
 * checked against its digest first (in place) or on the way down (downloads).
 */
export async function withLocalFiles<T>(
  artifacts: ArtifactStore,
  files: readonly { readonly file: DatasetFile; readonly owner: string }[],
  verify: boolean,
  work: (local: LocalFile[]) => Promise<T>,
): Promise<T> {
  if (artifacts.uri.startsWith('file:')) {
    const root = fileURLToPath(artifacts.uri);
    const local = files.map(({ file }) => ({ local: path.join(root, ...blobPath(file.sha256).split('/')), name: file.path }));
    await Promise.all(files.map(async ({ file, owner }, i) => {
      if (!(await fs.stat(local[i]!.local).catch(() => undefined))?.isFile()) throw missingBlob(file, owner);
    }));
    if (verify) {
      await Promise.all(files.map(({ file, owner }, i) => pipeline(createReadStream(local[i]!.local), new VerifyingStream(file.sha256, () => digestMismatch(file, owner)), discard())));
    }
    return work(local);
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oe-dataset-'));
  try {
    const local = await Promise.all(
      files.map(async ({ file, owner }, i) => {
        const target = path.join(dir, `${i}${path.extname(file.path)}`);
        const { body } = await artifacts.get(blobPath(file.sha256)).catch((err: unknown) => {
          throw isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST' ? missingBlob(file, owner) : err;
        });
        if (verify) await pipeline(body, new VerifyingStream(file.sha256, () => digestMismatch(file, owner)), createWriteStream(target));
        else await pipeline(body, createWriteStream(target));
        return { local: target, name: file.path };
      }),
    );
    return await work(local);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
