import type { Registry } from 'prom-client';
import type { MonitoringService } from '../domain/monitoring/monitoring.service.js';
import { scrapedGauges } from './metrics.js';

const ALERT_STATE_VALUE = { inactive: 0, pending: 1, firing: 2, resolved: 0 } as const;

/**
 * Per-monitor gauges, read from the database at scrape time: every replica reports the same figures,
 * whichever of them closed the window. Names follow `openexpert_monitor_*`; deploy/prometheus/ has the
 * rules and the Grafana dashboard built on them.
 */
export function registerMonitoringMetrics(registry: Registry, monitoring: MonitoringService): void {
  const gauge = scrapedGauges(registry, () => monitoring.metricsSnapshot());

  gauge('openexpert_monitor_feature_drift_score', 'Drift score of a feature in the latest closed window: a p-value or a distance, see the test label', ['monitor', 'feature', 'test', 'score_kind'], (g, s) => {
    for (const { monitor, result } of s.latest) {
      for (const c of [...result.report.columns, ...(result.report.predictionDrift ? [result.report.predictionDrift] : [])]) {
        if (c.drift.score !== null) g.set({ monitor: monitor.name, feature: c.name, test: c.drift.test, score_kind: c.drift.scoreKind }, c.drift.score);
      }
    }
  });
  gauge('openexpert_monitor_feature_drifted', '1 when the feature drifted in the latest closed window', ['monitor', 'feature'], (g, s) => {
    for (const { monitor, result } of s.latest) {
      for (const c of result.report.columns) if (c.drift.drifted !== null) g.set({ monitor: monitor.name, feature: c.name }, c.drift.drifted ? 1 : 0);
    }
  });
  gauge('openexpert_monitor_dataset_drift_share', 'Share of drifted features in the latest closed window', ['monitor'], (g, s) => {
    for (const { monitor, result } of s.latest) if (result.report.datasetDrift.share !== null) g.set({ monitor: monitor.name }, result.report.datasetDrift.share);
  });
  gauge('openexpert_monitor_dataset_drift', '1 when the latest closed window shows dataset drift', ['monitor'], (g, s) => {
    for (const { monitor, result } of s.latest) if (result.report.datasetDrift.drifted !== null) g.set({ monitor: monitor.name }, result.report.datasetDrift.drifted ? 1 : 0);
  });
  gauge('openexpert_monitor_missing_share', 'Share of missing values of a feature in the latest closed window', ['monitor', 'feature'], (g, s) => {
    for (const { monitor, result } of s.latest) for (const c of result.report.columns) g.set({ monitor: monitor.name, feature: c.name }, c.quality.current.missingShare);
  });
  gauge('openexpert_monitor_out_of_range_share', 'Share of values outside the reference range in the latest closed window', ['monitor', 'feature'], (g, s) => {
    for (const { monitor, result } of s.latest) for (const c of result.report.columns) if (c.quality.outOfRange) g.set({ monitor: monitor.name, feature: c.name }, c.quality.outOfRange.share);
  });
  gauge('openexpert_monitor_window_rows', 'Rows in the latest closed window', ['monitor'], (g, s) => {
    for (const { monitor, result } of s.latest) g.set({ monitor: monitor.name }, result.report.currentRows);
  });
  gauge('openexpert_monitor_window_end_seconds', 'End of the latest closed window, Unix seconds', ['monitor'], (g, s) => {
    for (const { monitor, window } of s.latest) g.set({ monitor: monitor.name }, Math.floor((window.closedAt ?? window.end) / 1000));
  });
  gauge('openexpert_monitor_performance', 'Performance of the latest closed window once labels arrived', ['monitor', 'metric'], (g, s) => {
    for (const { monitor, result } of s.latest) {
      for (const metric of ['accuracy', 'mae', 'rmse'] as const) {
        const v = result.performance?.[metric];
        if (v !== undefined) g.set({ monitor: monitor.name, metric }, v);
      }
    }
  });
  gauge('openexpert_monitor_alert_state', 'Alert rule state: 0 inactive or resolved, 1 pending, 2 firing', ['monitor', 'rule', 'state'], (g, s) => {
    const names = new Map(s.monitors.map((mon) => [mon.monitorId, mon.name]));
    for (const r of s.rules) g.set({ monitor: names.get(r.monitorId) ?? r.monitorId, rule: r.name, state: r.state }, ALERT_STATE_VALUE[r.state]);
  });
  gauge('openexpert_monitor_alert_silenced', '1 while an alert rule is silenced', ['monitor', 'rule'], (g, s) => {
    const names = new Map(s.monitors.map((mon) => [mon.monitorId, mon.name]));
    const now = Date.now();
    for (const r of s.rules) g.set({ monitor: names.get(r.monitorId) ?? r.monitorId, rule: r.name }, r.silencedUntil !== null && r.silencedUntil > now ? 1 : 0);
  });
}
