import { createHash } from 'node:crypto';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, isDomainError, notFound } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access } from '../access/access.js';
import { artifactPathOf } from '../artifacts/artifact-uri.js';
import { PROJECT_NAME } from '../projects/types.js';
import type { DeletionJob, PurgeCounts, RetentionPolicy, RetentionStore, ScopeKind, TraceSelector } from './types.js';

const DAY_MS = 86_400_000;
/** Traces deleted per transaction: a policy over millions of traces never holds one long write lock. */
const TRACE_BATCH = 1000;

/** The runs a policy run would delete. */
export interface DueRun {
  readonly runId: string;
  readonly experimentId: string;
  readonly policy: string;
}

/** The traces a `traces` policy would delete: those of its project and type that started before `olderThan`. */
export interface DueTraces {
  readonly policy: string;
  readonly project: string;
  readonly traceName: string | null;
  readonly olderThan: number;
  readonly traces: number;
}

/** One unit of a deletion job: a run, or the traces a policy or a request names. */
type Work =
  | { readonly kind: 'run'; readonly runId: string; readonly policy?: string | undefined }
  | { readonly kind: 'traces'; readonly object: string; readonly target: { before: number; selector: TraceSelector } | { traceIds: readonly string[] }; readonly policy?: string | undefined };

/** A traces scope id (`support`, `*`, `support/rag-query`, or `*` then `/rag-query`): the project (undefined for every project) and the trace type. */
export function traceScope(id: string): TraceSelector {
  const slash = id.indexOf('/');
  const project = slash < 0 ? id : id.slice(0, slash);
  const name = slash < 0 ? undefined : id.slice(slash + 1);
  if (project !== '*' && !PROJECT_NAME.test(project)) throw invalid(`'scope.id': '${project}' is not a project name or *; write <project> or <project>/<trace type>`);
  if (name !== undefined && (name === '' || name.length > 1000)) throw invalid("'scope.id': the trace type after '/' must be 1 to 1000 characters");
  return { project: project === '*' ? undefined : project, name };
}

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
        : input.scope.kind === 'traces' ? checkedTraceScope(input.scope.id ?? '*')
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
  async due(actor: Actor): Promise<DueRun[]> {
    await this.deps.access.require(actor, 'MANAGE', { kind: 'server' });
    const now = this.deps.clock.now();
    const found = new Map<string, DueRun>();
    for (const p of await this.deps.store.listPolicies()) {
      if (p.scope.kind === 'traces') continue;
      const experiments = p.scope.kind === 'server' ? undefined : p.scope.kind === 'experiment' ? [p.scope.id] : await this.deps.experimentsOf(p.scope.id);
      for (const r of await this.deps.store.runsStartedBefore(now - p.maxAgeDays * DAY_MS, experiments)) {
        if (!found.has(r.runId)) found.set(r.runId, { ...r, policy: p.id });
      }
    }
    return [...found.values()];
  }

  /**
   * The traces the `traces` policies would delete now, shortest age first (the order they are applied in, so a
   * trace two policies cover is deleted under the shorter one; a dry run counts it under each).
   */
  async dueTraces(actor: Actor): Promise<DueTraces[]> {
    await this.deps.access.require(actor, 'MANAGE', { kind: 'server' });
    const now = this.deps.clock.now();
    const out: DueTraces[] = [];
    const policies = (await this.deps.store.listPolicies()).filter((p) => p.scope.kind === 'traces').sort((a, b) => a.maxAgeDays - b.maxAgeDays);
    for (const p of policies) {
      const selector = traceScope(p.scope.id);
      const olderThan = now - p.maxAgeDays * DAY_MS;
      const traces = await this.deps.store.countTracesBefore(olderThan, selector);
      if (traces > 0) out.push({ policy: p.id, project: selector.project ?? '*', traceName: selector.name ?? null, olderThan, traces });
    }
    return out;
  }

  /** Applies every policy in a background job; with `dryRun` only says what it would delete. */
  async apply(actor: Actor, input: { dryRun: boolean }): Promise<{ job?: DeletionJob; runs: DueRun[]; traces: DueTraces[] }> {
    const runs = await this.due(actor);
    const traces = await this.dueTraces(actor);
    if (input.dryRun || (runs.length === 0 && traces.length === 0)) return { runs, traces };
    const work: Work[] = [
      ...runs.map((r) => ({ kind: 'run' as const, runId: r.runId, policy: r.policy })),
      ...traces.map((t) => ({
        kind: 'traces' as const, policy: t.policy, object: `traces:${t.project}${t.traceName === null ? '' : `/${t.traceName}`}`,
        target: { before: t.olderThan, selector: { project: t.project === '*' ? undefined : t.project, name: t.traceName ?? undefined } },
      })),
    ];
    return { job: await this.start(actor, work, 'retention policies'), runs, traces };
  }

  /** Deletes the named runs for good (MANAGE on their experiments), in a background job. */
  async purgeRuns(actor: Actor, runs: readonly { runId: string; experimentId: string }[], reason: string): Promise<DeletionJob> {
    for (const r of runs) await this.deps.access.require(actor, 'MANAGE', { kind: 'experiment', id: r.experimentId });
    return this.start(actor, runs.map((r) => ({ kind: 'run' as const, runId: r.runId })), reason);
  }

  /** Deletes the named LLM traces and their spans for good (MANAGE on their projects), in a background job. */
  async purgeTraces(actor: Actor, traceIds: readonly string[], reason: string): Promise<DeletionJob> {
    const ids = [...new Set(traceIds)];
    const projects = await this.deps.store.traceProjects(ids);
    for (const id of ids) {
      const project = projects.get(id);
      if (project === undefined) throw notFound(`Trace '${id}'`);
      await this.deps.access.require(actor, 'MANAGE', { kind: 'server', project });
    }
    return this.start(actor, [{ kind: 'traces', object: `traces:${ids.length === 1 ? ids[0]! : `${ids.length} traces`}`, target: { traceIds: ids } }], reason);
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

  private async start(actor: Actor, work: readonly Work[], reason: string): Promise<DeletionJob> {
    const job: DeletionJob = {
      id: newHexId(), requestedBy: actor.userId, reason, state: 'running', total: work.length, deleted: 0, counts: EMPTY, error: null,
      createdAt: this.deps.clock.now(), finishedAt: null,
    };
    await this.deps.store.saveJob(job);
    const done = this.run(actor, job, work).finally(() => this.running.delete(job.id));
    this.running.set(job.id, done);
    return job;
  }

  private async run(actor: Actor, started: DeletionJob, work: readonly Work[]): Promise<void> {
    let job = started;
    try {
      for (const item of work) {
        const { rows, files, bytes } = item.kind === 'run' ? await this.purgeRun(actor, job, item.runId, item.policy) : await this.purgeTraceWork(actor, job, item);
        job = { ...job, deleted: job.deleted + 1, counts: add(job.counts, rows, files, bytes) };
        await this.deps.store.saveJob(job);
      }
      job = { ...job, state: 'done', finishedAt: this.deps.clock.now() };
    } catch (err) {
      job = { ...job, state: 'failed', error: err instanceof Error ? err.message : String(err), finishedAt: this.deps.clock.now() };
      this.deps.onError?.(err, job);
    }
    await this.deps.store.saveJob(job);
  }

  private async purgeRun(actor: Actor, job: DeletionJob, runId: string, policy: string | undefined) {
    const purged = await this.deps.store.purgeRun(runId);
    if (!purged) return { rows: {}, files: 0, bytes: 0 };
    const { files, bytes } = await this.deleteArtifacts(purged.artifactUri);
    await this.deps.record?.({
      actor: actor.userId,
      action: 'retention.purge',
      object: `run:${runId}`,
      summary: `deleted run ${runId} of experiment ${purged.experimentId} for good (${policy ? `retention policy ${policy}` : job.reason}); job ${job.id}`,
      detail: JSON.stringify({ job: job.id, experimentId: purged.experimentId, ...(policy ? { policy } : {}), rows: purged.rows, artifactFiles: files, artifactBytes: bytes, digest: purged.digest }),
    });
    return { rows: purged.rows, files, bytes };
  }

  /**
   * Traces go in batches, each its own transaction; the deletion record carries the counts and one digest over the
   * batches' digests, so what was deleted can be proven later without keeping it.
   */
  private async purgeTraceWork(actor: Actor, job: DeletionJob, item: Extract<Work, { kind: 'traces' }>) {
    let rows: Record<string, number> = {};
    let traces = 0;
    const digests = createHash('sha256');
    for (;;) {
      const batch = await this.deps.store.purgeTraces(item.target, TRACE_BATCH);
      if (batch.traces === 0) break;
      traces += batch.traces;
      rows = add({ rows, artifactFiles: 0, artifactBytes: 0 }, batch.rows, 0, 0).rows as Record<string, number>;
      digests.update(`${batch.digest}\n`);
      if ('traceIds' in item.target) break;
    }
    if (traces > 0) {
      await this.deps.record?.({
        actor: actor.userId,
        action: 'retention.purge',
        object: item.object,
        summary: `deleted ${traces} LLM trace(s) for good (${item.policy ? `retention policy ${item.policy}` : job.reason}); job ${job.id}`,
        detail: JSON.stringify({
          job: job.id, ...(item.policy ? { policy: item.policy } : {}), ...('before' in item.target ? { startedBefore: item.target.before } : {}),
          traces, rows, digest: digests.digest('hex'),
        }),
      });
    }
    return { rows, files: 0, bytes: 0 };
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

function checkedTraceScope(id: string): string {
  traceScope(id);
  return id;
}

function required(id: string | undefined): string {
  if (id === undefined || id === '') throw invalid("'scope.id' is required for an experiment or project scope");
  return id;
}
