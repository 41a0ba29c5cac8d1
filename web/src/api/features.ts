import type { EntityDef, FeatureViewDef, ViewSkewReport, ViewSummary } from '../../../src/domain/features/types';
import { projectQuery } from '../lib/current-project';
import { get } from './client';

/** Feature views (src/api/v1/features.routes.ts). */
export type { ViewSkewReport, ViewSummary } from '../../../src/domain/features/types';

export type ViewDetail = ViewSummary & {
  versions: { version: number; createdAt: number; createdBy: string; digest: string }[];
  entityDef?: EntityDef;
  definition: FeatureViewDef;
  lastSkewReport?: ViewSkewReport;
};

export const featuresApi = {
  list: async (signal?: AbortSignal): Promise<ViewSummary[]> => (await get<{ items: ViewSummary[] }>('/api/v1/features/views', projectQuery(), signal)).items,
  get: (name: string, signal?: AbortSignal): Promise<ViewDetail> => get<ViewDetail>(`/api/v1/features/views/${encodeURIComponent(name)}`, undefined, signal),
};
