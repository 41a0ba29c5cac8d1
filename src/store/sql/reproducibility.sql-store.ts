import type { Kysely } from 'kysely';
import { alreadyExists } from '../../core/errors.js';
import type { ReproducibilityStore } from '../../domain/reproducibility/reproducibility.store.js';
import type { Capture, PipelineRun, Reproduction } from '../../domain/reproducibility/types.js';
import { busyGuard, isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database } from '../schema.js';

export class SqlReproducibilityStore implements ReproducibilityStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  putCapture(c: Capture): Promise<void> {
    const row = { run_id: c.runId, experiment_id: c.experimentId, created_by: c.createdBy, created_at: c.createdAt, body: JSON.stringify(c) };
    return busyGuard(async () => {
      await this.db.insertInto('repro_captures').values(row)
        .onConflict((oc) => oc.column('run_id').doUpdateSet({ experiment_id: row.experiment_id, created_by: row.created_by, created_at: row.created_at, body: row.body }))
        .execute();
    });
  }

  async getCapture(runId: string): Promise<Capture | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('repro_captures').select('body').where('run_id', '=', runId).executeTakeFirst());
    // Captures stored before command-line parameters were recorded have none.
    if (!row) return undefined;
    const capture = JSON.parse(row.body) as Capture;
    return capture.params ? capture : { ...capture, params: {} };
  }

  addReproduction(r: Reproduction): Promise<void> {
    return busyGuard(async () => {
      try {
        await this.db.insertInto('repro_reproductions').values({
          id: r.id, source_run_id: r.sourceRunId, run_id: r.runId, passed: r.passed ? 1 : 0, created_by: r.createdBy, created_at: r.createdAt, body: JSON.stringify(r),
        }).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyExists(`Reproduction '${r.id}'`);
        throw err;
      }
    });
  }

  async getReproduction(id: string): Promise<Reproduction | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('repro_reproductions').select('body').where('id', '=', id).executeTakeFirst());
    return row ? (JSON.parse(row.body) as Reproduction) : undefined;
  }

  async listReproductions(sourceRunId: string): Promise<Reproduction[]> {
    const rows = await busyGuard(() => this.db.selectFrom('repro_reproductions').select('body').where('source_run_id', '=', sourceRunId)
      .orderBy('created_at', 'desc').orderBy('id').execute());
    return rows.map((r) => JSON.parse(r.body) as Reproduction);
  }

  putPipelineRun(p: PipelineRun): Promise<void> {
    const row = {
      id: p.id, name: p.name, experiment_id: p.experimentId, status: p.status, created_by: p.createdBy, created_at: p.createdAt, updated_at: p.updatedAt, body: JSON.stringify(p),
    };
    return busyGuard(async () => {
      await this.db.insertInto('repro_pipeline_runs').values(row)
        .onConflict((oc) => oc.column('id').doUpdateSet({ status: row.status, updated_at: row.updated_at, body: row.body }))
        .execute();
    });
  }

  async getPipelineRun(id: string): Promise<PipelineRun | undefined> {
    const row = await busyGuard(() => this.db.selectFrom('repro_pipeline_runs').select('body').where('id', '=', id).executeTakeFirst());
    return row ? (JSON.parse(row.body) as PipelineRun) : undefined;
  }

  async listPipelineRuns(query: { name?: string; limit: number }): Promise<PipelineRun[]> {
    let q = this.db.selectFrom('repro_pipeline_runs').select('body');
    if (query.name !== undefined) q = q.where('name', '=', query.name);
    const rows = await busyGuard(() => q.orderBy('created_at', 'desc').orderBy('id').limit(query.limit).execute());
    return rows.map((r) => JSON.parse(r.body) as PipelineRun);
  }
}
