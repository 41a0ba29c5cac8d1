import type { Registry } from 'prom-client';
import type { FeatureService } from '../domain/features/feature.service.js';
import { scrapedGauges } from './metrics.js';

/**
 * Freshness of each feature view's online values, read from the database at scrape time (every replica reports the
 * same). `openexpert_feature_view_stale` is what the OpenExpertFeatureViewStale rule in deploy/prometheus/ fires on.
 */
export function registerFeatureMetrics(registry: Registry, features: FeatureService): void {
  const gauge = scrapedGauges(registry, () => features.freshness());
  gauge('openexpert_feature_view_staleness_seconds', 'Seconds between now and the newest event time materialized into the online store (absent before the first materialization)', ['view'], (g, views) => {
    for (const v of views) if (v.stalenessSeconds !== undefined) g.set({ view: v.name }, v.stalenessSeconds);
  });
  gauge('openexpert_feature_view_ttl_seconds', "The view's TTL: online values older than this are withheld (0: never expire)", ['view'], (g, views) => {
    for (const v of views) g.set({ view: v.name }, v.ttlSeconds);
  });
  gauge('openexpert_feature_view_stale', '1 when the online values are older than the TTL or were never materialized: they are served as OUTSIDE_MAX_AGE', ['view'], (g, views) => {
    for (const v of views) g.set({ view: v.name }, v.stale ? 1 : 0);
  });
}
