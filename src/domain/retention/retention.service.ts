import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, isDomainError, notFound } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access } from '../access/access.js';
import { artifactPathOf } from '../artifacts/artifact-uri.js';
import type { DeletionJob, PurgeCounts, RetentionPolicy, RetentionStore, ScopeKind } from './types.js';

const DAY_MS = 86_400_000;

/** What deleting needs from the artifact store: walk a run's folder, and remove it. */
export interface RunArtifacts {
  list(path: string): Promise<{ path: string; isDir: boolean; size?: number }[]>;
  delete(path: string): Promise<void>;
}

/** An entry in the audit chain (when governance keeps one). */
export type DeletionRecorder = (entry: { actor: string; action: string; object: string; summary: string; detail: string }) => Promise<void>;

export interface RetentionDeps {
  readonly store: RetentionStore;
  readonly access: Access;
  readonly clock: Clock;
  readonly artifacts: RunArtifacts;
  /** The experiment ids of a project. */
  experimentsOf(project: string): Promise<string[]>;
  /** The experiment id of an experiment named by id or name; RESOURCE_DOES_NOT_EXIST otherwise. */
  experimentId(actor: Actor, idOrName: string): Promise<string>;
  readonly record?: DeletionRecorder;
  readonly onError?: (err: unknown, job: DeletionJob) => void;
}

const EMPTY: PurgeCounts = { rows: {}, artifactFiles: 0, artifactBytes: 0 };

const add = (a: PurgeCounts, rows: Readonly<Record<string, number>>, files: number, bytes: number): PurgeCounts => ({
  rows: Object.fromEntries([...new Set([...Object.keys(a.rows), ...Object.keys(rows)])].sort().map((k) => [k, (a.rows[k] ?? 0) + (rows[k] ?? 0)])),
  artifactFiles: a.artifactFiles + files,
  artifactBytes: a.artifactBytes + bytes,
});

/**
 * Retention policies and deletion for good. A deletion runs as a job in the background with its progress
 * readable (`GET /api/v1/retention/jobs/<id>`); each run it deletes loses its rows (params, tags, metrics,
 * inputs, lineage) in one transaction and its artifacts, and leaves one `retention.purge` entry in the audit
 * chain with what was deleted, by whom, the row and file counts, and a digest of the deleted rows.
 */
export class RetentionService {
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly deps: RetentionDeps) {}

  async setPolicy(actor: Actor, input: { scope: { kind: ScopeKind; id?: string | undefined }; maxAgeDays: number }): Promise<RetentionPolicy> {
    await this.deps.access.require(actor, 'MANAGE', { kind: 'server' });
    const scopeId = input.scope.kind === 'server' ? '*'
      : input.scope.kind === 'experiment' ? await this.deps.experimentId(actor, required(input.scope.id))
        : required(input.scope.id);
    return this.deps.store.putPolicy({ id: newHexId(), scope: { kind: input.scope.kind, id: scopeId }, maxAgeDays: input.maxAgeDays, createdBy: actor.userId, createdAt: this.deps.clock.now() });
  }

  async listPolicies(actor: Actor): Promise<RetentionPolicy[]> {
    await this.deps.access.require(actor, 'READ', { kind: 'server' });
    return this.deps.store.listPolicies();
  }

  async deletePolicy(actor: Actor, id: string): Promise<void> {
    await this.deps.access.require(actor, 'MANAGE', { kind: 'server' });
    if (!(await this.deps.store.deletePolicy(id))) throw notFound(`Retention policy '${id}'`);
  }

  /** The runs the policies would delete now: each run once, under the shortest age that covers it. */
  async due(actor: Actor): Promise<{ runId: string; experimentId: string; policy: string }[]> {
    await this.deps.access.require(actor, 'MANAGE', { kind: 'server' });
    const now = this.deps.clock.now();
    const found = new Map<string, { runId: string; experimentId: string; policy: string }>();
    for (const p of await this.deps.store.listPolicies()) {
      const experiments = p.scope.kind === 'server' ? undefined : p.scope.kind === 'experiment' ? [p.scope.id] : await this.deps.experimentsOf(p.scope.id);
      for (const r of await this.deps.store.runsStartedBefore(now - p.maxAgeDays * DAY_MS, experiments)) {
        if (!found.has(r.runId)) found.set(r.runId, { ...r, policy: p.id });
      }
    }
    return [...found.values()];
  }

  /** Applies every policy in a background job; with `dryRun` only says what it would delete. */
  async apply(actor: Actor, input: { dryRun: boolean }): Promise<{ job?: DeletionJob; runs: { runId: string; experimentId: string; policy: string }[] }> {
    const runs = await this.due(actor);
    if (input.dryRun) return { runs };
    return { job: await this.start(actor, runs.map((r) => r.runId), 'retention policies', new Map(runs.map((r) => [r.runId, r.policy]))), runs };
  }

  /** Deletes the named runs for good (MANAGE on their experiments), in a background job. */
  async purgeRuns(actor: Actor, runs: readonly { runId: string; experimentId: string }[], reason: string): Promise<DeletionJob> {
    for (const r of runs) await this.deps.access.require(actor, 'MANAGE', { kind: 'experiment', id: r.experimentId });
    return this.start(actor, runs.map((r) => r.runId), reason, new Map());
  }

  async job(actor: Actor, id: string): Promise<DeletionJob> {
    const job = await this.deps.store.getJob(id);
    if (!job || (job.requestedBy !== actor.userId && !(await this.isAdmin(actor)))) throw notFound(`Deletion job '${id}'`);
    return job;
  }

  /** Resolves when the job's work is over (for tests and `--wait` in the same process). */
  async settled(id: string): Promise<void> {
    await this.running.get(id);
  }

  private async isAdmin(actor: Actor): Promise<boolean> {
    try {
      await this.deps.access.require(actor, 'MANAGE', { kind: 'server' });
      return true;
    } catch {
      return false;
    }
  }

  private async start(actor: Actor, runIds: readonly string[], reason: string, policies: ReadonlyMap<string, string>): Promise<DeletionJob> {
    const job: DeletionJob = {
      id: newHexId(), requestedBy: actor.userId, reason, state: 'running', total: runIds.length, deleted: 0, counts: EMPTY, error: null,
      createdAt: this.deps.clock.now(), finishedAt: null,
    };
    await this.deps.store.saveJob(job);
    const work = this.run(actor, job, runIds, policies).finally(() => this.running.delete(job.id));
    this.running.set(job.id, work);
    return job;
  }

  private async run(actor: Actor, started: DeletionJob, runIds: readonly string[], policies: ReadonlyMap<string, string>): Promise<void> {
    let job = started;
    try {
      for (const runId of runIds) {
        const purged = await this.deps.store.purgeRun(runId);
        let files = 0;
        let bytes = 0;
        if (purged) {
          ({ files, bytes } = await this.deleteArtifacts(purged.artifactUri));
          const policy = policies.get(runId);
          await this.deps.record?.({
            actor: actor.userId,
            action: 'retention.purge',
            object: `run:${runId}`,
            summary: `deleted run ${runId} of experiment ${purged.experimentId} for good (${policy ? `retention policy ${policy}` : job.reason}); job ${job.id}`,
            detail: JSON.stringify({ job: job.id, experimentId: purged.experimentId, ...(policy ? { policy } : {}), rows: purged.rows, artifactFiles: files, artifactBytes: bytes, digest: purged.digest }),
          });
        }
        job = { ...job, deleted: job.deleted + 1, counts: add(job.counts, purged?.rows ?? {}, files, bytes) };
        await this.deps.store.saveJob(job);
      }
      job = { ...job, state: 'done', finishedAt: this.deps.clock.now() };
    } catch (err) {
      job = { ...job, state: 'failed', error: err instanceof Error ? err.message : String(err), finishedAt: this.deps.clock.now() };
      this.deps.onError?.(err, job);
    }
    await this.deps.store.saveJob(job);
  }

  /** The run's artifact folder, counted then removed; runs that store artifacts elsewhere keep them (nothing of ours to delete). */
  private async deleteArtifacts(uri: string): Promise<{ files: number; bytes: number }> {
    let root: string;
    try {
      root = artifactPathOf(uri);
    } catch {
      return { files: 0, bytes: 0 };
    }
    let files = 0;
    let bytes = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const e of await this.deps.artifacts.list(dir)) {
        const full = dir === '' ? e.path : `${dir}/${e.path}`;
        if (e.isDir) await walk(full);
        else {
          files++;
          bytes += e.size ?? 0;
        }
      }
    };
    try {
      await walk(root);
      if (files > 0) await this.deps.artifacts.delete(root);
    } catch (err) {
      if (!(isDomainError(err) && err.code === 'RESOURCE_DOES_NOT_EXIST')) throw err;
    }
    return { files, bytes };
  }
}

function required(id: string | undefined): string {
  if (id === undefined || id === '') throw invalid("'scope.id' is required for an experiment or project scope");
  return id;
}
