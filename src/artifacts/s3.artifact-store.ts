import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
  type ListObjectsV2CommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type Readable, Writable, pipeline as pipelineCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
import { safeArtifactPath } from './safe-path.js';

export interface S3Config {
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/**
 * A streaming upload holds about (queueSize + 2) × partSize in memory whatever the file size.
 * Without a partSize, lib-storage uses S3's 5 MiB minimum, or more when a stated length needs it
 * to stay within 10,000 parts; with the default queue that is about 20 MiB per upload, so a
 * server can take several at once.
 */
export interface S3UploadTuning {
  partSize?: number;
  queueSize: number;
}

const DEFAULT_TUNING: S3UploadTuning = { queueSize: 2 };
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

interface S3Failure {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}
const failure = (err: unknown) => (err ?? {}) as S3Failure;
const isNotFound = (err: unknown) =>
  ['NotFound', 'NoSuchKey'].includes(failure(err).name ?? '') || failure(err).$metadata?.httpStatusCode === 404;
const isMissingUpload = (err: unknown) => failure(err).name === 'NoSuchUpload';
const REJECTED_PARTS = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall']);

/**
 * Artifacts as objects under `s3://bucket/prefix`. S3 has no directories: a directory is the set of
 * keys sharing its prefix, so it exists while it holds a file and vanishes with its last one.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly uri: string;
  private readonly client: S3Client;

  constructor(
    private readonly bucket: string,
    private readonly prefix: string,
    config: S3Config,
    private readonly tuning: S3UploadTuning = DEFAULT_TUNING,
  ) {
    if (!BUCKET.test(bucket)) throw invalid(`Invalid S3 bucket name '${bucket}'`);
    this.prefix = safeArtifactPath(prefix);
    this.uri = `s3://${bucket}${this.prefix === '' ? '' : `/${this.prefix}`}`;
    const { accessKeyId, secretAccessKey } = config;
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
      // Newer SDKs add CRC32 trailers and aws-chunked bodies by default, which many S3-compatible
      // stores (and s3rver) reject; checksums only where the API demands them keeps them all working.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Parses `s3://bucket[/prefix]`. */
  static fromUri(uri: string, config: S3Config): S3ArtifactStore {
    const match = /^s3:\/\/([^/]*)\/?(.*)$/i.exec(uri);
    if (!match) throw invalid(`Invalid S3 artifact URI '${uri}': expected s3://bucket/prefix`);
    return new S3ArtifactStore(match[1] ?? '', match[2] ?? '', config);
  }

  async put(filePath: string, body: ArtifactBody, opts?: { contentLength?: number }): Promise<StoredFile> {
    const rel = this.file(filePath);
    const contentLength = checkContentLength(opts?.contentLength, rel);
    await this.assertWritable(rel);
    const digest = new DigestStream(rel, contentLength);
    // Errors from the body reach `digest` and from there the upload, which then aborts; the callback is only bookkeeping.
    const source = pipelineCallback(body, digest, () => {});
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.key(rel), Body: source, ContentLength: contentLength },
      partSize: this.tuning.partSize,
      queueSize: this.tuning.queueSize,
    });
    try {
      await upload.done();
    } catch (err) {
      source.destroy();
      // When aborting the multipart upload fails as well, the stream's own error is the one worth reporting.
      throw digest.errored ?? err;
    }
    return { path: rel, ...digest.digest };
  }

  async get(filePath: string, range?: ByteRange): Promise<{ body: Readable; size: number }> {
    const rel = this.file(filePath);
    const wanted = checkRange(range, rel);
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(rel),
          Range: wanted ? `bytes=${wanted.start}-${wanted.end ?? ''}` : undefined,
        }),
      );
      const total = /\/(\d+)$/.exec(out.ContentRange ?? '')?.[1];
      return { body: out.Body as Readable, size: total !== undefined ? Number(total) : (out.ContentLength ?? 0) };
    } catch (err) {
      if (isNotFound(err)) {
        if (await this.hasChildren(rel)) throw invalid(`Artifact '${rel}' is a directory, not a file`);
        throw notFound(`Artifact '${rel}'`);
      }
      if (wanted && failure(err).name === 'InvalidRange') {
        const size = (await this.stat(rel))?.size ?? 0;
        throw rangePastEnd(wanted, size, rel);
      }
      throw err;
    }
  }

  async stat(filePath: string): Promise<{ isDir: boolean; size?: number } | undefined> {
    const rel = safeArtifactPath(filePath);
    if (rel === '') return { isDir: true };
    const [size, isDir] = await Promise.all([this.fileSize(rel), this.hasChildren(rel)]);
    if (size !== undefined) return { isDir: false, size };
    return isDir ? { isDir: true } : undefined;
  }

  async list(dir: string): Promise<ArtifactEntry[]> {
    const rel = safeArtifactPath(dir);
    const listed = this.dirKey(rel);
    const entries: ArtifactEntry[] = [];
    for await (const page of this.pages(listed, '/')) {
      for (const { Prefix } of page.CommonPrefixes ?? []) {
        if (Prefix) entries.push({ path: Prefix.slice(listed.length, -1), isDir: true });
      }
      for (const { Key, Size } of page.Contents ?? []) {
        // Keys ending in "/" are folder markers some tools create; they are not files.
        if (Key && !Key.endsWith('/')) entries.push({ path: Key.slice(listed.length), isDir: false, size: Size ?? 0 });
      }
    }
    return entries.sort(byPath);
  }

  async delete(filePath: string): Promise<void> {
    const rel = this.file(filePath);
    const [size, isDir] = await Promise.all([this.fileSize(rel), this.hasChildren(rel)]);
    if (size === undefined && !isDir) throw notFound(`Artifact '${rel}'`);
    if (size !== undefined) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(rel) }));
    if (isDir) {
      for await (const page of this.pages(this.dirKey(rel))) {
        const keys = (page.Contents ?? []).flatMap(({ Key }) => (Key ? [{ Key }] : []));
        if (keys.length === 0) continue;
        const out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        const first = out.Errors?.[0];
        if (first) throw new Error(`Deleting '${first.Key ?? '?'}' from ${this.uri} failed: ${first.Code ?? ''} ${first.Message ?? ''}`);
      }
    }
  }

  async createMultipartUpload(filePath: string): Promise<{ uploadId: string }> {
    const rel = this.file(filePath);
    await this.assertWritable(rel);
    const out = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(rel) }));
    if (!out.UploadId) throw new Error(`${this.uri} returned no upload id for '${rel}'`);
    return { uploadId: out.UploadId };
  }

  async uploadPart(
    filePath: string,
    uploadId: string,
    partNumber: number,
    body: ArtifactBody,
    opts: { contentLength: number },
  ): Promise<UploadedPart> {
    const rel = this.file(filePath);
    const id = checkUploadId(uploadId);
    const number = checkPartNumber(partNumber);
    const contentLength = checkContentLength(opts?.contentLength, rel);
    if (contentLength === undefined) throw invalid(`Part ${number} of '${rel}' needs its content length`);
    const digest = new DigestStream(rel, contentLength);
    // The SDK pipes a stream body into its request without watching for errors; a body that fails or
    // falls short of its length would leave the request waiting for bytes that never come.
    const request = new AbortController();
    const source = pipelineCallback(body, digest, (err) => err && request.abort(err));
    try {
      const out = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.key(rel),
          UploadId: id,
          PartNumber: number,
          Body: source,
          ContentLength: contentLength,
        }),
        { abortSignal: request.signal },
      );
      if (!out.ETag) throw new Error(`${this.uri} returned no etag for part ${number} of '${rel}'`);
      return { partNumber: number, etag: out.ETag };
    } catch (err) {
      source.destroy();
      if (isMissingUpload(err)) throw notFound(`Multipart upload '${id}' of '${rel}'`);
      throw digest.errored ?? err;
    }
  }

  async completeMultipartUpload(filePath: string, uploadId: string, parts: UploadedPart[]): Promise<StoredFile> {
    const rel = this.file(filePath);
    const id = checkUploadId(uploadId);
    const listed = checkParts(parts);
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key(rel),
          UploadId: id,
          MultipartUpload: { Parts: listed.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
    } catch (err) {
      if (isMissingUpload(err)) throw notFound(`Multipart upload '${id}' of '${rel}'`);
      if (REJECTED_PARTS.has(failure(err).name ?? '')) throw invalid(`Cannot complete '${rel}': ${(err as Error).message}`);
      throw err;
    }
    const digest = new DigestStream(rel);
    const { body } = await this.get(rel);
    await pipeline(body, digest, new Writable({ write: (_chunk, _encoding, done) => done() }));
    return { path: rel, ...digest.digest };
  }

  async abortMultipartUpload(filePath: string, uploadId: string): Promise<void> {
    const rel = this.file(filePath);
    const id = checkUploadId(uploadId);
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key(rel), UploadId: id }));
    } catch (err) {
      if (isMissingUpload(err)) throw notFound(`Multipart upload '${id}' of '${rel}'`);
      throw err;
    }
  }

  private file(clientPath: string): string {
    const rel = safeArtifactPath(clientPath);
    if (rel === '') throw invalid('Invalid artifact path "": a file or directory must be named');
    return rel;
  }

  private key(rel: string): string {
    return this.prefix === '' ? rel : `${this.prefix}/${rel}`;
  }

  /** The prefix every key under a directory starts with; for the root of an unprefixed store, ''. */
  private dirKey(rel: string): string {
    if (rel === '') return this.prefix === '' ? '' : `${this.prefix}/`;
    return `${this.key(rel)}/`;
  }

  private async fileSize(rel: string): Promise<number | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(rel) }));
      return out.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async hasChildren(rel: string): Promise<boolean> {
    const out = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.dirKey(rel), MaxKeys: 1 }),
    );
    return (out.KeyCount ?? out.Contents?.length ?? 0) > 0;
  }

  /**
   * S3 lets a key and a "directory" of the same name coexist; the local store cannot, and listings
   * with both would be ambiguous, so a write must not create either situation.
   */
  private async assertWritable(rel: string): Promise<void> {
    const segments = rel.split('/');
    const ancestors = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'));
    const [isDir, ...ancestorSizes] = await Promise.all([this.hasChildren(rel), ...ancestors.map((a) => this.fileSize(a))]);
    if (isDir) throw invalid(`Artifact '${rel}' is a directory; a file cannot replace it`);
    if (ancestorSizes.some((size) => size !== undefined)) throw invalid(`Artifact '${rel}' would be inside a file`);
  }

  private async *pages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
