import type { CostTotals, RunUsage } from '../../../src/domain/cost/types';
import { get } from './client';

/** Compute usage and cost (src/api/v1/cost.routes.ts). */
export type { CostTotals, RunUsage } from '../../../src/domain/cost/types';

const enc = encodeURIComponent;

export const costApi = {
  run: (runId: string, signal?: AbortSignal) => get<RunUsage>(`/api/v1/runs/${enc(runId)}/usage`, undefined, signal),
  sweep: (id: string, signal?: AbortSignal) => get<CostTotals>(`/api/v1/sweeps/${enc(id)}/cost`, undefined, signal),
  experiment: (id: string, signal?: AbortSignal) => get<CostTotals & { runs: (CostTotals & { runId: string })[] }>(`/api/v1/experiments/${enc(id)}/cost`, undefined, signal),
};
