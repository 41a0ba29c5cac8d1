import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { invalid, invalidState, notFound, orThrow } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access } from '../access/access.js';
import type { Experiment, Run } from '../tracking/types.js';
import { compareMetrics, environmentDifferences, paramDifferences, parseTolerance } from './comparison.js';
import type { ReproducibilityStore } from './reproducibility.store.js';
import { renderReproductionHtml } from './report-html.js';
import type { CaptureInput, PipelineRunInput, ReproductionRequest, Tolerance } from './schemas.js';
import type { Capture, PipelineRun, Reproduction } from './types.js';

export interface RunReader {
  get(actor: Actor, runId: string): Promise<Run>;
}

export interface ExperimentReader {
  get(actor: Actor, experimentId: string): Promise<Experiment>;
}

/**
 * Captured runs, their reproductions and pipeline runs. Access follows the runs: reading a capture or a
 * reproduction needs READ on the run's experiment, writing one EDIT on the experiment of the run it describes.
 */
export class ReproducibilityService {
  constructor(
    private readonly store: ReproducibilityStore,
    private readonly runs: RunReader,
    private readonly experiments: ExperimentReader,
    private readonly access: Access,
    private readonly clock: Clock,
  ) {}

  async putCapture(actor: Actor, runId: string, input: CaptureInput): Promise<Capture> {
    const run = await this.runs.get(actor, runId);
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: run.info.experimentId });
    const capture: Capture = { ...input, runId, experimentId: run.info.experimentId, createdBy: actor.userId, createdAt: this.clock.now() };
    await this.store.putCapture(capture);
    return capture;
  }

  async getCapture(actor: Actor, runId: string): Promise<Capture> {
    await this.runs.get(actor, runId);
    return orThrow(await this.store.getCapture(runId), () => notFound(`A capture of run '${runId}'`));
  }

  /**
   * Compares a rerun with the run it reproduces, both captured, and keeps the result as evidence. The
   * numbers come from the runs as the server holds them, not from the client, so the evidence is the server's.
   */
  async recordReproduction(actor: Actor, input: ReproductionRequest): Promise<Reproduction> {
    const rerun = await this.runs.get(actor, input.runId);
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: rerun.info.experimentId });
    if (input.sourceRunId === input.runId) throw invalid("Invalid value for parameter 'runId': a run cannot reproduce itself");
    const source = await this.runs.get(actor, input.sourceRunId);
    const original = orThrow(await this.store.getCapture(source.info.runId), () =>
      invalidState(`Run '${source.info.runId}' has no capture to reproduce; run it with \`openexpert run\``));
    const reproduced = orThrow(await this.store.getCapture(rerun.info.runId), () =>
      invalidState(`Run '${rerun.info.runId}' has no capture; a reproduction must itself be run with \`openexpert run\` or \`openexpert reproduce\``));
    const tolerance = typeof input.tolerance === 'string' ? parseTolerance(input.tolerance) : input.tolerance;
    const metrics = compareMetrics(source.data.metrics, rerun.data.metrics, tolerance);
    const reproduction: Reproduction = {
      id: newHexId(),
      sourceRunId: source.info.runId,
      runId: rerun.info.runId,
      createdBy: actor.userId,
      sourceAuthor: source.info.userId,
      createdAt: this.clock.now(),
      tolerance,
      exitCode: reproduced.exitCode,
      metrics,
      environment: [...environmentDifferences(original, reproduced), ...paramDifferences(source.data.params, rerun.data.params)]
        .sort((x, y) => (x.field < y.field ? -1 : x.field > y.field ? 1 : 0)),
      passed: reproduced.exitCode === 0 && metrics.length > 0 && metrics.every((m) => m.withinTolerance),
    };
    await this.store.addReproduction(reproduction);
    return reproduction;
  }

  async getReproduction(actor: Actor, id: string): Promise<Reproduction> {
    const r = orThrow(await this.store.getReproduction(id), () => notFound(`Reproduction '${id}'`));
    await this.runs.get(actor, r.sourceRunId);
    return r;
  }

  async listReproductions(actor: Actor, sourceRunId: string): Promise<Reproduction[]> {
    await this.runs.get(actor, sourceRunId);
    return this.store.listReproductions(sourceRunId);
  }

  async reportHtml(actor: Actor, id: string): Promise<string> {
    const r = await this.getReproduction(actor, id);
    return renderReproductionHtml(r, await this.store.getCapture(r.sourceRunId), await this.store.getCapture(r.runId));
  }

  /**
   * The `reproduced` promotion check: passes when someone (other than the source run's author, unless `by` says
   * anyone) reproduced the run within tolerance — the check's own tolerance when it gives one, else the reproducer's.
   */
  async reproducedEvidence(run: Run, check: { tolerance?: Tolerance | string | undefined; by: 'other_than_author' | 'anyone' }) {
    const tolerance = typeof check.tolerance === 'string' ? parseTolerance(check.tolerance) : check.tolerance;
    const author = run.info.userId;
    const all = await this.store.listReproductions(run.info.runId);
    const eligible = all.filter((r) => check.by === 'anyone' || r.createdBy !== author);
    const judged = eligible.map((r) => {
      if (!tolerance) return { reproduction: r, passed: r.passed };
      const metrics = compareMetrics(toMetrics(r, 'original'), toMetrics(r, 'reproduced'), tolerance);
      return { reproduction: r, passed: r.exitCode === 0 && metrics.length > 0 && metrics.every((m) => m.withinTolerance) };
    });
    const winner = judged.find((j) => j.passed);
    const evidence = {
      runId: run.info.runId, author, by: check.by,
      reproductions: judged.map((j) => ({ id: j.reproduction.id, by: j.reproduction.createdBy, passed: j.passed })),
      ignoredByAuthor: all.length - eligible.length,
    };
    if (winner) return { passed: true, detail: `run ${run.info.runId} reproduced within tolerance by ${winner.reproduction.createdBy} (reproduction ${winner.reproduction.id})`, evidence };
    const who = check.by === 'other_than_author' ? ` by someone other than its author ${author}` : '';
    const tried = eligible.length ? `${eligible.length} reproduction(s)${who} fell outside tolerance` : `no reproduction${who} yet`;
    const authorsOwn = all.length - eligible.length ? ` (${all.length - eligible.length} by the author do not count)` : '';
    return { passed: false, detail: `run ${run.info.runId}: ${tried}${authorsOwn}; run \`openexpert reproduce ${run.info.runId}\``, evidence };
  }

  async putPipelineRun(actor: Actor, id: string, input: PipelineRunInput): Promise<PipelineRun> {
    await this.experiments.get(actor, input.experimentId);
    await this.access.require(actor, 'EDIT', { kind: 'experiment', id: input.experimentId });
    const existing = await this.store.getPipelineRun(id);
    if (existing && (existing.experimentId !== input.experimentId || existing.name !== input.name)) {
      throw invalid(`Pipeline run '${id}' belongs to pipeline '${existing.name}' in experiment ${existing.experimentId}`);
    }
    const names = new Set(input.steps.map((s) => s.name));
    if (names.size !== input.steps.length) throw invalid("Invalid value for parameter 'steps': step names must be unique");
    const unknown = input.steps.flatMap((s) => s.needs.filter((n) => !names.has(n)).map((n) => `${s.name} needs ${n}`));
    if (unknown.length) throw invalid(`Invalid value for parameter 'steps': unknown steps (${unknown.join('; ')})`);
    const now = this.clock.now();
    const run: PipelineRun = { ...input, id, createdBy: existing?.createdBy ?? actor.userId, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await this.store.putPipelineRun(run);
    return run;
  }

  async getPipelineRun(actor: Actor, id: string): Promise<PipelineRun> {
    const run = orThrow(await this.store.getPipelineRun(id), () => notFound(`Pipeline run '${id}'`));
    await this.access.require(actor, 'READ', { kind: 'experiment', id: run.experimentId });
    return run;
  }

  async listPipelineRuns(actor: Actor, query: { name?: string | undefined; maxResults?: number | undefined }): Promise<PipelineRun[]> {
    await this.access.require(actor, 'READ', { kind: 'server' });
    const runs = await this.store.listPipelineRuns({ ...(query.name !== undefined ? { name: query.name } : {}), limit: query.maxResults ?? 100 });
    return this.access.readable(actor, 'experiment', runs, (r) => r.experimentId);
  }
}

const toMetrics = (r: Reproduction, side: 'original' | 'reproduced') =>
  r.metrics.filter((m) => m[side] !== null).map((m) => ({ key: m.key, value: m[side]!, timestamp: 0, step: 0 }));

