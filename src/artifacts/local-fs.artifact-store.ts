import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readFile, readdir, realpath, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { invalid, notFound } from '../core/errors.js';
import {
  byPath,
  checkContentLength,
  checkPartNumber,
  checkParts,
  checkRange,
  checkUploadId,
  rangePastEnd,
} from './artifact-input.js';
import type { ArtifactBody, ArtifactEntry, ArtifactStore, ByteRange, StoredFile, UploadedPart } from './artifact-store.js';
import { DigestStream } from './digest-stream.js';
import { resolveInsideRoot, safeArtifactPath, staysInsideRoot } from './safe-path.js';

/**
 * Writes in progress and open multipart uploads live here, inside the root, so that the final
 * rename never crosses a file system boundary. Clients cannot address it.
 */
const TEMP_DIR = '.tmp';
const UPLOADS_DIR = 'uploads';
/**
 * Reads and writes move up to 1 MiB per system call: with Node's 64 KiB default (16 KiB for writes)
 * a gigabyte costs tens of thousands of thread-pool round trips and runs at a third of the speed.
 */
const IO_CHUNK = 1024 * 1024;
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Located {
  rel: string;
  abs: string;
  root: string;
}

const errorCode = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;
const isMissing = (err: unknown) => errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR';

/** Artifacts as plain files under a root directory; `path` maps to the same relative path on disk. */
export class LocalFsArtifactStore implements ArtifactStore {
  readonly uri: string;
  #rootReal: Promise<string> | undefined;

  constructor(private readonly rootDir: string) {
    if (!path.isAbsolute(rootDir)) throw invalid(`Local artifact root must be an absolute path, got '${rootDir}'`);
    this.uri = pathToFileURL(rootDir).href;
  }

  async put(filePath: string, body: ArtifactBody, opts?: { contentLength?: number }): Promise<StoredFile> {
    const loc = await this.locate(filePath);
    const contentLength = checkContentLength(opts?.contentLength, loc.rel);
    return this.writeAtomically(loc, body, contentLength);
  }

  async get(filePath: string, range?: ByteRange): Promise<{ body: Readable; size: number }> {
    const loc = await this.locate(filePath);
    const wanted = checkRange(range, loc.rel);
    // Reading from an open handle means a concurrent replace or delete cannot mix two versions.
    const handle = await open(loc.abs, 'r').catch((err: unknown) => {
      throw isMissing(err) ? notFound(`Artifact '${loc.rel}'`) : err;
    });
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw invalid(`Artifact '${loc.rel}' is a directory, not a file`);
      if (!info.isFile()) throw notFound(`Artifact '${loc.rel}'`);
      if (wanted && wanted.start >= info.size) throw rangePastEnd(wanted, info.size, loc.rel);
      return { body: handle.createReadStream({ ...wanted, highWaterMark: IO_CHUNK }), size: info.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async stat(filePath: string): Promise<{ isDir: boolean; size?: number } | undefined> {
    const loc = await this.locate(filePath, { root: true });
    const info = await stat(loc.abs).catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
    if (info?.isDirectory()) return { isDir: true };
    if (info?.isFile()) return { isDir: false, size: info.size };
    return undefined;
  }

  async list(dir: string): Promise<ArtifactEntry[]> {
    const loc = await this.locate(dir, { root: true });
    const children = await readdir(loc.abs, { withFileTypes: true }).catch((err: unknown) => {
      if (isMissing(err)) return [];
      throw err;
    });
    const entries = await Promise.all(
      children.map(async (child): Promise<ArtifactEntry | undefined> => {
        if (loc.rel === '' && child.name === TEMP_DIR) return undefined;
        const abs = path.join(loc.abs, child.name);
        // A symlink is listed as what it points to, and only when that is inside the root.
        if (child.isSymbolicLink() && !(await staysInsideRoot(loc.root, abs))) return undefined;
        if (child.isDirectory()) return { path: child.name, isDir: true };
        const info = await stat(abs).catch(() => undefined);
        if (info?.isDirectory()) return { path: child.name, isDir: true };
        if (info?.isFile()) return { path: child.name, isDir: false, size: info.size };
        return undefined;
      }),
    );
    return entries.filter((e): e is ArtifactEntry => e !== undefined).sort(byPath);
  }

  async delete(filePath: string): Promise<void> {
    const loc = await this.locate(filePath);
    const info = await lstat(loc.abs).catch((err: unknown) => {
      throw isMissing(err) ? notFound(`Artifact '${loc.rel}'`) : err;
    });
    if (info.isDirectory()) {
      // Renaming first makes the whole directory disappear at once rather than file by file.
      const doomed = await this.tempPath(loc.root);
      await rename(loc.abs, doomed);
      await rm(doomed, { recursive: true, force: true });
    } else {
      await unlink(loc.abs);
    }
    await this.pruneEmptyParents(loc);
  }

  async createMultipartUpload(filePath: string): Promise<{ uploadId: string }> {
    const loc = await this.locate(filePath);
    await this.assertWritable(loc);
    const uploadId = randomUUID();
    const dir = this.uploadDir(loc.root, uploadId);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'upload.json'), JSON.stringify({ path: loc.rel }));
    return { uploadId };
  }

  async uploadPart(
    filePath: string,
    uploadId: string,
    partNumber: number,
    body: ArtifactBody,
    opts: { contentLength: number },
  ): Promise<UploadedPart> {
    const { loc, dir } = await this.openUpload(filePath, uploadId);
    const number = checkPartNumber(partNumber);
    const contentLength = checkContentLength(opts?.contentLength, loc.rel);
    if (contentLength === undefined) throw invalid(`Part ${number} of '${loc.rel}' needs its content length`);
    const partial = path.join(dir, `${randomUUID()}.partial`);
    const digest = new DigestStream(loc.rel, contentLength);
    try {
      await pipeline(body, digest, createWriteStream(partial, { flags: 'wx', highWaterMark: IO_CHUNK }));
      // The etag names the part file, so a retried part never overwrites the one a completion may be reading.
      const etag = digest.digest.sha256;
      await rename(partial, path.join(dir, `${number}.${etag}`));
      return { partNumber: number, etag };
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  }

  async completeMultipartUpload(filePath: string, uploadId: string, parts: UploadedPart[]): Promise<StoredFile> {
    const { loc, dir } = await this.openUpload(filePath, uploadId);
    const files = checkParts(parts).map((p) => ({ ...p, file: path.join(dir, `${p.partNumber}.${p.etag}`) }));
    for (const part of files) {
      const info = await stat(part.file).catch(() => undefined);
      if (!info?.isFile()) throw invalid(`Part ${part.partNumber} with etag '${part.etag}' of '${loc.rel}' was not uploaded`);
    }
    async function* joined() {
      for (const part of files) yield* createReadStream(part.file, { highWaterMark: IO_CHUNK });
    }
    const stored = await this.writeAtomically(loc, Readable.from(joined()));
    await rm(dir, { recursive: true, force: true });
    return stored;
  }

  async abortMultipartUpload(filePath: string, uploadId: string): Promise<void> {
    const { dir } = await this.openUpload(filePath, uploadId);
    await rm(dir, { recursive: true, force: true });
  }

  private root(): Promise<string> {
    this.#rootReal ??= mkdir(this.rootDir, { recursive: true })
      .then(() => realpath(this.rootDir))
      .catch((err: unknown) => {
        this.#rootReal = undefined;
        throw err;
      });
    return this.#rootReal;
  }

  /** Validates a client path and places it under the root; only `list` and `stat` may name the root itself. */
  private async locate(clientPath: string, allow: { root?: boolean } = {}): Promise<Located> {
    const rel = safeArtifactPath(clientPath);
    if (rel === '' && !allow.root) throw invalid('Invalid artifact path "": a file or directory must be named');
    if (rel.split('/')[0] === TEMP_DIR) throw invalid(`Invalid artifact path ${JSON.stringify(clientPath)}: '${TEMP_DIR}' is reserved`);
    const root = await this.root();
    return { rel, abs: await resolveInsideRoot(root, rel), root };
  }

  /** Fails before any bytes are read when the file could not be put in place afterwards. */
  private async assertWritable(loc: Located): Promise<void> {
    const target = await stat(loc.abs).catch(() => undefined);
    if (target?.isDirectory()) throw invalid(`Artifact '${loc.rel}' is a directory; a file cannot replace it`);
    const parent = await stat(path.dirname(loc.abs)).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return undefined;
      if (errorCode(err) === 'ENOTDIR') return { isDirectory: () => false };
      throw err;
    });
    if (parent && !parent.isDirectory()) throw invalid(`Artifact '${loc.rel}' would be inside a file`);
  }

  /** Streams into a temp file, fsyncs it and renames it into place, so readers only ever see whole files. */
  private async writeAtomically(loc: Located, source: ArtifactBody, contentLength?: number): Promise<StoredFile> {
    await this.assertWritable(loc);
    const temp = await this.tempPath(loc.root);
    const digest = new DigestStream(loc.rel, contentLength);
    try {
      await pipeline(source, digest, createWriteStream(temp, { flags: 'wx', highWaterMark: IO_CHUNK }));
      await fsync(temp);
      await this.moveIntoPlace(temp, loc);
    } catch (err) {
      await rm(temp, { force: true });
      throw mapPlacementError(err, loc.rel);
    }
    return { path: loc.rel, ...digest.digest };
  }

  private async moveIntoPlace(temp: string, loc: Located): Promise<void> {
    const parent = path.dirname(loc.abs);
    // A concurrent delete may prune the freshly made parent before the rename; making it again is enough.
    for (let attempt = 1; ; attempt++) {
      await mkdir(parent, { recursive: true });
      try {
        await rename(temp, loc.abs);
        break;
      } catch (err) {
        if (errorCode(err) !== 'ENOENT' || attempt === 3) throw err;
      }
    }
    await fsync(parent);
  }

  /** Keeps the disk in step with S3, where a "directory" ends with its last key. */
  private async pruneEmptyParents(loc: Located): Promise<void> {
    for (let dir = path.dirname(loc.abs); dir !== loc.root && dir.startsWith(loc.root); dir = path.dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return;
      }
    }
  }

  private async tempPath(root: string): Promise<string> {
    const dir = path.join(root, TEMP_DIR);
    await mkdir(dir, { recursive: true });
    return path.join(dir, randomUUID());
  }

  private uploadDir(root: string, uploadId: string): string {
    return path.join(root, TEMP_DIR, UPLOADS_DIR, uploadId);
  }

  /** An upload exists only as the pair (id, path) it was created with, as on S3. */
  private async openUpload(clientPath: string, uploadId: string): Promise<{ loc: Located; dir: string }> {
    const loc = await this.locate(clientPath);
    const id = checkUploadId(uploadId);
    const missing = () => notFound(`Multipart upload '${id}' of '${loc.rel}'`);
    if (!UPLOAD_ID.test(id)) throw missing();
    const dir = this.uploadDir(loc.root, id);
    const manifest = await readFile(path.join(dir, 'upload.json'), 'utf8').catch((err: unknown) => {
      throw isMissing(err) ? missing() : err;
    });
    if ((JSON.parse(manifest) as { path?: unknown }).path !== loc.rel) throw missing();
    return { loc, dir };
  }
}

async function fsync(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A racing writer can still turn a path into a directory (or a parent into a file) after the early check. */
function mapPlacementError(err: unknown, rel: string): unknown {
  const code = errorCode(err);
  if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST')
    return invalid(`Artifact '${rel}' is a directory; a file cannot replace it`);
  if (code === 'ENOTDIR') return invalid(`Artifact '${rel}' would be inside a file`);
  if (code === 'ENAMETOOLONG') return invalid(`Artifact path '${rel}' is too long for the file system`);
  return err;
}
