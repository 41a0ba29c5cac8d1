import type { RawRepo } from '../domain/features/definitions.js';
import type { MaterializeResult, ViewSummary } from '../domain/features/feature.service.js';
import type { SkewReport } from '../domain/features/skew.js';
import type { OnlineResult, PlanItem } from '../domain/features/types.js';
import type { Requester } from './sweeps.js';

/** Feature definitions written in TypeScript: the shape of `feature_repo/*.yaml`, checked by the compiler. */
export type FeatureRepoDefinition = RawRepo & { project?: string };

/** Identity, typed: `defineFeatures({ entities: [...], feature_views: [...] })` gets the editor's completion and checks. */
export const defineFeatures = (repo: FeatureRepoDefinition): FeatureRepoDefinition => repo;

export type EntityKeys = Readonly<Record<string, readonly (string | number)[]>>;
export type FeatureRow = Record<string, string | number | boolean | null>;

const base = '/api/v1/features';

/**
 * The feature store (`oe.features`): apply definitions, point-in-time training sets, materialization, online
 * values with the TTL enforced, and training–serving skew checks.
 *
 * ```ts
 * await oe.features.apply(defineFeatures({ entities: [...], feature_views: [...] }));
 * const online = await oe.features.getOnlineFeatures({ features: ['user_stats:user_spend_sum_7d'], entities: { user_id: [1, 2] } });
 * ```
 */
export class Features {
  constructor(private readonly http: Requester) {}

  /** Validates and registers definitions (unless `dryRun`); returns the plan, as `openexpert features apply` shows it. */
  apply(definitions: FeatureRepoDefinition, opts: { dryRun?: boolean; prune?: boolean } = {}): Promise<{ plan: PlanItem[]; applied: boolean }> {
    const { project, ...repo } = definitions;
    return this.http.request('POST', `${base}/apply`, { body: { definitions: repo, ...(project !== undefined ? { project } : {}), dryRun: opts.dryRun ?? false, prune: opts.prune ?? false } });
  }

  async listViews(opts: { project?: string } = {}): Promise<ViewSummary[]> {
    return (await this.http.request<{ items: ViewSummary[] }>('GET', `${base}/views`, { query: { project: opts.project } })).items;
  }

  getView(name: string): Promise<ViewSummary & Record<string, unknown>> {
    return this.http.request('GET', `${base}/views/${encodeURIComponent(name)}`);
  }

  /**
   * Values for entities by join key (`{ user_id: [1, 2] }`), features as `view:feature`. Each value has a status; a
   * value older than its view's TTL comes back as OUTSIDE_MAX_AGE without the value, and `warnings` say so.
   */
  getOnlineFeatures(opts: { features: readonly string[]; entities: EntityKeys }): Promise<OnlineResult> {
    return this.http.request('POST', `${base}/online`, { body: { features: opts.features, entities: opts.entities } });
  }

  /**
   * A point-in-time correct training set for entity rows (join keys and `event_timestamp`). With `dataset`, it is also
   * registered as that dataset's next version (written as JSON lines), linked from the views in the lineage graph.
   */
  getHistoricalFeatures(opts: { features: readonly string[]; entities: readonly FeatureRow[]; dataset?: string; project?: string }): Promise<{
    rows: Record<string, unknown>[]; trainingSet: string; features: string[]; dataset?: { id: string; name: string; version: number };
  }> {
    return this.http.request('POST', `${base}/historical`, { body: {
      features: opts.features, entities: opts.entities, ...(opts.dataset !== undefined ? { dataset: opts.dataset } : {}), ...(opts.project !== undefined ? { project: opts.project } : {}),
    } });
  }

  /** Loads the newest values into the online store: a window (`start`, `end`, epoch ms or ISO), or since the last run. */
  async materialize(opts: { views?: readonly string[]; start?: number | string; end?: number | string; incremental?: boolean } = {}): Promise<MaterializeResult[]> {
    return (await this.http.request<{ items: MaterializeResult[] }>('POST', `${base}/materialize`, { body: opts })).items;
  }

  /** Compares logged serving values (join keys, `event_timestamp`, one column per feature) with the offline values. */
  skew(opts: { features: readonly string[]; rows: readonly FeatureRow[]; tolerance?: number }): Promise<SkewReport> {
    return this.http.request('POST', `${base}/skew`, { body: opts });
  }

  /**
   * Skew over what a deployment's model really saw: the feature vectors it logged with its predictions
   * (`parameters.feature_vector` on OIP requests), newest `limit`, each recomputed offline at its prediction's time.
   */
  skewOfDeployment(opts: { deployment: string; features?: readonly string[]; limit?: number; since?: number | string; tolerance?: number }): Promise<SkewReport & { deployment: string }> {
    return this.http.request('POST', `${base}/skew/logged`, { body: opts });
  }
}
