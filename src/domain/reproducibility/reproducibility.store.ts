import type { Capture, PipelineRun, Reproduction } from './types.js';

/** Captures (one per run), reproductions of a run, and pipeline runs' state; documents read and written whole. */
export interface ReproducibilityStore {
  /** Replaces the capture of that run: `openexpert run` writes it once, when the command has ended. */
  putCapture(capture: Capture): Promise<void>;
  getCapture(runId: string): Promise<Capture | undefined>;
  addReproduction(reproduction: Reproduction): Promise<void>;
  getReproduction(id: string): Promise<Reproduction | undefined>;
  /** Newest first. */
  listReproductions(sourceRunId: string): Promise<Reproduction[]>;
  putPipelineRun(run: PipelineRun): Promise<void>;
  getPipelineRun(id: string): Promise<PipelineRun | undefined>;
  /** Newest first, at most `limit`. */
  listPipelineRuns(query: { name?: string; limit: number }): Promise<PipelineRun[]>;
}
