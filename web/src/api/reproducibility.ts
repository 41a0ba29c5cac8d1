import type { Capture, PipelineRun, Reproduction } from '../../../src/domain/reproducibility/types';
import { get } from './client';

/** Captured runs, reproductions and pipeline runs (src/api/v1/reproducibility.routes.ts). */
export type { Capture, PipelineRun, Reproduction } from '../../../src/domain/reproducibility/types';

const enc = encodeURIComponent;

export const reproducibilityApi = {
  capture: (runId: string, signal?: AbortSignal) => get<Capture>(`/api/v1/runs/${enc(runId)}/capture`, undefined, signal),
  reproductions: (sourceRunId: string, signal?: AbortSignal) => get<{ items: Reproduction[] }>('/api/v1/reproductions', { sourceRunId }, signal),
  reportUrl: (id: string) => `/api/v1/reproductions/${enc(id)}/report.html`,
  pipelineRuns: (signal?: AbortSignal) => get<{ items: PipelineRun[] }>('/api/v1/pipeline-runs', { maxResults: 100 }, signal),
  pipelineRun: (id: string, signal?: AbortSignal) => get<PipelineRun>(`/api/v1/pipeline-runs/${enc(id)}`, undefined, signal),
};
