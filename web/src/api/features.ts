import type { SkewReport } from '../../../src/domain/features/skew';
import type { EntityDef, FeatureViewDef, ViewSkewReport, ViewSummary } from '../../../src/domain/features/types';
import type { Deployment, PredictionRecord } from '../../../src/domain/serving/types';
import { projectQuery } from '../lib/current-project';
import { get, post } from './client';

/** Feature views (src/api/v1/features.routes.ts). */
export type { ViewSkewReport, ViewSummary } from '../../../src/domain/features/types';
export type { SkewReport } from '../../../src/domain/features/skew';
export type { Deployment, PredictionRecord } from '../../../src/domain/serving/types';

/** The features of `view` a deployment fetches itself (as `view:feature`), from its feature list. */
export function viewFeaturesOf(d: Deployment, view: { name: string; features: readonly string[] }): string[] {
  const refs = d.features?.features ?? [];
  return refs.flatMap((ref) => {
    const colon = ref.indexOf(':');
    const [owner, feature] = colon >= 0 ? [ref.slice(0, colon), ref.slice(colon + 1)] : [view.name, ref];
    return owner === view.name && view.features.includes(feature) ? [feature] : [];
  });
}

export type ViewDetail = ViewSummary & {
  versions: { version: number; createdAt: number; createdBy: string; digest: string }[];
  entityDef?: EntityDef;
  definition: FeatureViewDef;
  lastSkewReport?: ViewSkewReport;
};

export const featuresApi = {
  list: async (signal?: AbortSignal): Promise<ViewSummary[]> => (await get<{ items: ViewSummary[] }>('/api/v1/features/views', projectQuery(), signal)).items,
  get: (name: string, signal?: AbortSignal): Promise<ViewDetail> => get<ViewDetail>(`/api/v1/features/views/${encodeURIComponent(name)}`, undefined, signal),
  /** Deployments (src/api/v1/serving.routes.ts) that fetch some of the view's features. */
  deploymentsUsing: async (view: { name: string; features: readonly string[] }, signal?: AbortSignal): Promise<Deployment[]> =>
    (await get<{ items: Deployment[] }>('/api/v1/deployments', undefined, signal)).items.filter((d) => viewFeaturesOf(d, view).length > 0),
  loggedPredictions: async (deployment: string, limit: number, signal?: AbortSignal): Promise<PredictionRecord[]> =>
    (await get<{ items: PredictionRecord[] }>(`/api/v1/deployments/${encodeURIComponent(deployment)}/predictions`, { limit }, signal)).items,
  skewOfDeployment: (deployment: string, features: readonly string[]): Promise<SkewReport & { deployment: string }> =>
    post<SkewReport & { deployment: string }>('/api/v1/features/skew/logged', { deployment, features }),
};
