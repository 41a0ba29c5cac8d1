import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalid } from '../core/errors.js';
import type { ArtifactStore } from './artifact-store.js';
import { LocalFsArtifactStore } from './local-fs.artifact-store.js';
import { S3ArtifactStore, type S3Config } from './s3.artifact-store.js';

/** Two or more characters, so that a Windows drive letter (`C:\…`) reads as a path, not a scheme. */
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

/**
 * Chooses the artifact backend from the URI: `s3://bucket/prefix` for S3-compatible storage,
 * `file:///dir` or a plain (possibly relative) path for the local disk.
 */
export function openArtifactStore(uri: string, s3: S3Config): ArtifactStore {
  if (typeof uri !== 'string' || uri.trim() === '') throw invalid('Artifact store URI is empty');
  const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return new LocalFsArtifactStore(path.resolve(uri));
  if (scheme === 's3') return S3ArtifactStore.fromUri(uri, s3);
  if (scheme === 'file') {
    let dir: string;
    try {
      dir = fileURLToPath(uri);
    } catch (err) {
      throw invalid(`Invalid file URI '${uri}' for the artifact store: ${(err as Error).message}`);
    }
    return new LocalFsArtifactStore(dir);
  }
  throw invalid(`Unsupported artifact store URI '${uri}': use s3://bucket/prefix, file:///path or a local path`);
}
