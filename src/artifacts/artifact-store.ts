import type { Readable } from 'node:stream';

/** What a completed write stored: the normalised path and the digest taken while the bytes streamed through. */
export interface StoredFile {
  path: string;
  size: number;
  /** Lowercase hex. */
  sha256: string;
}

/** One child of a listed directory; `path` is relative to that directory (POSIX). Directories carry no size. */
export interface ArtifactEntry {
  path: string;
  isDir: boolean;
  size?: number;
}

/** A byte range as HTTP states it: `end` is inclusive and is clamped to the last byte of the file. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface UploadedPart {
  partNumber: number;
  /** Opaque; hand it back unchanged to `completeMultipartUpload`. */
  etag: string;
}

export type ArtifactBody = NodeJS.ReadableStream | Readable;

/**
 * Files under one root, addressed by client-supplied relative paths (validated by `safeArtifactPath`;
 * bad ones fail with INVALID_PARAMETER_VALUE naming the path). Everything streams: memory does not
 * grow with file size. A write becomes visible under its final path only once complete, so an
 * interrupted upload leaves nothing behind. On failure the caller's body stream may have been left
 * unread or destroyed; either way the caller should not reuse it.
 */
export interface ArtifactStore {
  /** `file:///…` or `s3://bucket/prefix`. */
  readonly uri: string;

  /**
   * Writes (or replaces) a file. With `contentLength`, a body of any other length is rejected with
   * INVALID_PARAMETER_VALUE and nothing is stored, so a truncated request cannot become an artifact.
   * Fails with INVALID_PARAMETER_VALUE when the path is a directory or runs through a file.
   */
  put(path: string, body: ArtifactBody, opts?: { contentLength?: number }): Promise<StoredFile>;

  /**
   * Streams a file, or the part of it in `range`. `size` is the size of the whole file, as a
   * Content-Range header needs. The caller must consume or destroy `body`.
   * RESOURCE_DOES_NOT_EXIST when absent; INVALID_PARAMETER_VALUE for a directory or a range past the end.
   */
  get(path: string, range?: ByteRange): Promise<{ body: Readable; size: number }>;

  /** `''` is the root, always a directory. */
  stat(path: string): Promise<{ isDir: boolean; size?: number } | undefined>;

  /** Immediate children, sorted by path (UTF-16 code unit order); `[]` when the directory is absent or is a file. */
  list(dir: string): Promise<ArtifactEntry[]>;

  /** A file, or a directory with everything under it. RESOURCE_DOES_NOT_EXIST when absent; the root cannot be deleted. */
  delete(path: string): Promise<void>;

  /**
   * Multipart upload, as MLflow's `mpu/create|complete|abort` proxy endpoints need it: the server hands
   * the client one URL per part that leads back to `uploadPart`, so parts flow through the server like
   * any upload and the backing store never has to be reachable from clients.
   */
  createMultipartUpload(path: string): Promise<{ uploadId: string }>;

  /**
   * Stores one part (1..10000; re-uploading a number replaces it). `contentLength` is required because
   * S3 must know a part's length before its bytes arrive. RESOURCE_DOES_NOT_EXIST when no upload with
   * this id is open for this path.
   */
  uploadPart(
    path: string,
    uploadId: string,
    partNumber: number,
    body: ArtifactBody,
    opts: { contentLength: number },
  ): Promise<UploadedPart>;

  /**
   * Joins the listed parts (ascending part numbers, etags as returned) into the file and makes it visible.
   * The sha256 of the whole file needs one sequential read of it here, since part digests do not combine.
   */
  completeMultipartUpload(path: string, uploadId: string, parts: UploadedPart[]): Promise<StoredFile>;

  /** Discards an open upload and its parts. RESOURCE_DOES_NOT_EXIST when there is none. */
  abortMultipartUpload(path: string, uploadId: string): Promise<void>;
}
