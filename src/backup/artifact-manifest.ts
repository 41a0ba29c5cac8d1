import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { invalidState } from '../core/errors.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { DigestStream } from '../artifacts/digest-stream.js';

/** One file of the artifact store as a backup lists it. `sha256` is null when neither copied nor recorded at upload. */
export interface ManifestEntry {
  readonly path: string;
  readonly size: number;
  readonly sha256: string | null;
}

/** Every file under the store's root, depth first, in listing order. */
export async function* walkArtifacts(store: ArtifactStore, dir = ''): AsyncGenerator<{ path: string; size: number }> {
  for (const entry of await store.list(dir)) {
    const full = dir === '' ? entry.path : `${dir}/${entry.path}`;
    if (entry.isDir) yield* walkArtifacts(store, full);
    else yield { path: full, size: entry.size ?? 0 };
  }
}

/**
 * Writes the manifest of `store` as JSON lines to `manifestFile`. With `filesDir`, each file is also copied there
 * and its digest taken from the bytes copied; without, the digest the server recorded at upload is used, if any.
 */
export async function writeArtifactManifest(
  store: ArtifactStore,
  manifestFile: string,
  options: { filesDir?: string; recordedDigest: (path: string) => Promise<string | undefined>; onFile?: (entry: ManifestEntry) => void },
): Promise<{ files: number; bytes: number }> {
  const out = await fs.open(manifestFile, 'wx');
  let files = 0;
  let bytes = 0;
  try {
    for await (const file of walkArtifacts(store)) {
      let entry: ManifestEntry;
      if (options.filesDir) {
        const target = path.join(options.filesDir, ...file.path.split('/'));
        await fs.mkdir(path.dirname(target), { recursive: true });
        const { body } = await store.get(file.path);
        const digest = new DigestStream(file.path);
        await pipeline(body, digest, createWriteStream(target, { flags: 'wx' }));
        entry = { path: file.path, ...digest.digest };
      } else {
        entry = { path: file.path, size: file.size, sha256: (await options.recordedDigest(file.path)) ?? null };
      }
      await out.write(`${JSON.stringify(entry)}\n`);
      files++;
      bytes += entry.size;
      options.onFile?.(entry);
    }
  } finally {
    await out.close();
  }
  return { files, bytes };
}

export async function readArtifactManifest(manifestFile: string): Promise<ManifestEntry[]> {
  const text = await fs.readFile(manifestFile, 'utf8');
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as ManifestEntry);
}

export interface ArtifactRestoreResult {
  /** Files put into the store from the backup. */
  readonly restored: number;
  /** Files listed (manifest-only backups) that the store still holds with the listed size. */
  readonly present: number;
  /** Listed files the store does not hold (or holds with another size): the manifest names what is lost. */
  readonly missing: readonly string[];
}

/**
 * Puts the copied files back into `store`, each checked against the manifest's digest as it streams; a file whose
 * bytes do not match fails the restore. A manifest-only backup (S3, where the bucket keeps its own versions) is
 * checked against the store instead: what is missing is reported, not invented.
 */
export async function restoreArtifacts(
  store: ArtifactStore,
  entries: readonly ManifestEntry[],
  options: { filesDir?: string; onFile?: (entry: ManifestEntry) => void },
): Promise<ArtifactRestoreResult> {
  let restored = 0;
  let present = 0;
  const missing: string[] = [];
  for (const entry of entries) {
    if (options.filesDir) {
      const source = path.join(options.filesDir, ...entry.path.split('/'));
      const stored = await store.put(entry.path, createReadStream(source), { contentLength: entry.size });
      if (entry.sha256 !== null && stored.sha256 !== entry.sha256) {
        throw invalidState(`Artifact '${entry.path}' in the backup does not match its manifest (sha256 ${stored.sha256}, listed ${entry.sha256})`);
      }
      restored++;
    } else {
      const found = await store.stat(entry.path);
      if (found && !found.isDir && found.size === entry.size) present++;
      else missing.push(entry.path);
    }
    options.onFile?.(entry);
  }
  return { restored, present, missing };
}
