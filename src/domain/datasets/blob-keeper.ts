import { setTimeout as sleep } from 'node:timers/promises';
import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import type { Clock } from '../../core/clock.js';
import { DomainError, isDomainError } from '../../core/errors.js';
import { blobPath } from './blob-files.js';
import type { DatasetStore } from './datasets.store.js';

/** An upload or an add longer than this loses its claim: a day covers hashing and profiling the largest files. */
const CLAIM_MS = 24 * 60 * 60 * 1000;
/** Deleting one blob takes milliseconds; a mark older than this was left by a server that died while deleting. */
const DELETION_STALE_MS = 10 * 60 * 1000;
const WAIT_STEP_MS = 50;
const WAIT_STEPS = 200;

export interface GcReport {
  readonly dryRun: boolean;
  /** Blobs no version references that were removed (or would be, in a dry run), and their bytes. */
  readonly removed: number;
  readonly bytesFreed: number;
  /** Unreferenced blobs left alone because an upload or an add in progress claims them. */
  readonly inUse: number;
  /** Blobs some version references. */
  readonly kept: number;
}

/** The claim an upload of content for a dataset leaves for the add that follows it, which releases it. */
export const uploadHolder = (dataset: string) => `upload:${dataset}`;

/**
 * Removes dataset blobs no version references, without racing the writers: uploads and adds claim the
 * blobs they use (see `DatasetStore.claimBlobs`), and a blob is deleted only under a deletion mark taken
 * while no claim was live, after checking again that no version names it.
 */
export class BlobKeeper {
  constructor(
    private readonly store: DatasetStore,
    private readonly artifacts: ArtifactStore,
    private readonly clock: Clock,
  ) {}

  /** Claims blobs for `holder`, waiting out a deletion in progress (after which the blob is gone and gets written again). */
  async claim(shas: readonly string[], holder: string): Promise<void> {
    for (let step = 0; ; step++) {
      const now = this.clock.now();
      const deleting = await this.store.claimBlobs(shas, holder, now + CLAIM_MS, now - DELETION_STALE_MS);
      if (deleting.length === 0) return;
      if (step >= WAIT_STEPS) throw new DomainError('TEMPORARILY_UNAVAILABLE', `Content ${deleting[0]} is being removed by garbage collection; try again`);
      await sleep(WAIT_STEP_MS);
    }
  }

  release(shas: readonly string[], holders: readonly string[]): Promise<void> {
    return this.store.releaseClaims(shas, holders);
  }

  /** Deletes those of `shas` that no version references and nobody claims; returns what it freed. */
  async removeUnused(shas: readonly string[]): Promise<{ removed: number; bytesFreed: number; inUse: number }> {
    const referenced = await this.store.referencedBlobs(shas);
    return this.removeAll([...new Set(shas)].filter((sha) => !referenced.has(sha)));
  }

  private async removeAll(shas: readonly string[], sizes?: ReadonlyMap<string, number>): Promise<{ removed: number; bytesFreed: number; inUse: number }> {
    let removed = 0;
    let bytesFreed = 0;
    let inUse = 0;
    for (const sha of shas) {
      const now = this.clock.now();
      if (!(await this.store.beginBlobDeletion(sha, now, now - DELETION_STALE_MS))) {
        inUse++;
        continue;
      }
      try {
        // Checked again under the mark: a version made since the caller looked keeps its content.
        if ((await this.store.referencedBlobs([sha])).size > 0) continue;
        const size = sizes?.get(sha) ?? (await this.artifacts.stat(blobPath(sha)))?.size;
        if (size === undefined) continue;
        await this.artifacts.delete(blobPath(sha)).catch((err: unknown) => {
          if (!(isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST')) throw err;
        });
        removed++;
        bytesFreed += size;
      } finally {
        await this.store.endBlobDeletion(sha);
      }
    }
    return { removed, bytesFreed, inUse };
  }

  /** Every blob in the store that no version references, removed unless claimed; a dry run only counts them. */
  async collect(dryRun: boolean): Promise<GcReport> {
    const now = this.clock.now();
    const blobs = new Map<string, number>();
    for (const prefix of await this.artifacts.list('datasets/blobs')) {
      if (!prefix.isDir) continue;
      for (const entry of await this.artifacts.list(`datasets/blobs/${prefix.path}`)) {
        if (!entry.isDir && /^[0-9a-f]{64}$/.test(entry.path)) blobs.set(entry.path, entry.size ?? 0);
      }
    }
    const referenced = await this.store.referencedBlobs();
    const unreferenced = [...blobs.keys()].filter((sha) => !referenced.has(sha));
    const kept = blobs.size - unreferenced.length;
    if (dryRun) {
      const claimed = await this.store.claimedBlobs(unreferenced, now);
      const free = unreferenced.filter((sha) => !claimed.has(sha));
      return { dryRun, removed: free.length, bytesFreed: free.reduce((a, sha) => a + blobs.get(sha)!, 0), inUse: claimed.size, kept };
    }
    await this.store.pruneClaims(now, now - DELETION_STALE_MS);
    return { dryRun, ...(await this.removeAll(unreferenced, blobs)), kept };
  }
}
