import { createHash } from 'node:crypto';
import type { DatasetFile } from './types.js';

/**
 * The root digest of a set of files, as DVC's directory hash: sha256 over the files sorted by path, one
 * `path\0sha256\n` line each, so the order the files were listed or uploaded in never changes it.
 */
export function rootDigest(files: readonly DatasetFile[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) hash.update(`${f.path}\0${f.sha256}\n`);
  return hash.digest('hex');
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
