import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rulesFile = path.join(root, 'deploy/prometheus/openexpert-monitoring.rules.yml');
const dashboardFile = path.join(root, 'deploy/grafana/openexpert-monitoring.dashboard.json');
const hasPromtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Metric names a PromQL expression refers to (our own, by prefix). */
const metricNames = (expr: string) => [...expr.matchAll(/\b(openexpert_(?:monitor|feature_view)_[a-z_]+)\b/g)].map((m) => m[1]!);

describe('the Prometheus rules and the Grafana dashboard', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let exposed: Set<string>;
  beforeAll(async () => {
    server = await startTestServer();
    const api = jsonClient(`${server.url}/api/v1`);
    const ref = { x: Array.from({ length: 200 }, (_, i) => i), c: Array.from({ length: 200 }, (_, i) => (i % 2 ? 'a' : 'b')) };
    await api.post('/monitors', { name: 'assets', config: { idColumn: 'id', predictionColumn: 'c', task: 'classification' }, reference: { columns: { ...ref, id: ref.x.map(String) } } });
    await api.post('/monitors/assets/alert-rules', { name: 'r', figure: 'dataset_drift_share', op: '>', threshold: 0.9 });
    await api.post('/monitors/assets/ingest', { columns: { ...ref, id: ref.x.map((i) => `n${i}`), x: ref.x.map((v) => v + 10) } });
    await api.post('/monitors/assets/labels', { labels: [{ predictionId: 'n1', label: 'a' }] });
    // A feature view, never materialized: its freshness gauges say stale.
    const source = path.join(server.home, 'user_stats.csv');
    fs.writeFileSync(source, 'user_id,event_timestamp,user_spend_sum_7d\n1,2024-01-01 00:00:00,5\n');
    await api.post('/features/apply', { definitions: {
      entities: [{ name: 'user', join_keys: { user_id: 'int64' } }],
      feature_views: [{ name: 'user_stats', entity: 'user', source: { path: source }, ttl: '1d', schema: [{ name: 'user_spend_sum_7d', dtype: 'float64' }] }],
    } });
    const text = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(text).toContain('openexpert_feature_view_stale{view="user_stats"} 1');
    expect(text).toContain('openexpert_feature_view_ttl_seconds{view="user_stats"} 86400');
    exposed = new Set([...text.matchAll(/^(openexpert_(?:monitor|feature_view)_[a-z_]+)\{/gm)].map((m) => m[1]!));
  });
  afterAll(() => server.close());

  it('the rules only use metrics the server exposes', () => {
    const doc = parseYaml(fs.readFileSync(rulesFile, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const used = doc.groups.flatMap((g) => g.rules.flatMap((r) => metricNames(r.expr)));
    expect(used.length).toBeGreaterThan(5);
    for (const name of used) expect(exposed, name).toContain(name);
  });

  it('the dashboard only queries metrics the server exposes', () => {
    const doc = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as { panels: { targets: { expr: string }[] }[]; templating: { list: { definition?: string }[] } };
    const used = [...doc.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))), ...doc.templating.list.flatMap((v) => metricNames(v.definition ?? ''))];
    expect(used.length).toBeGreaterThan(8);
    for (const name of used) expect(exposed, name).toContain(name);
  });

  it('never puts p-values and distances on one axis: p-values on a log axis, distances from 0, each with its threshold line', () => {
    type Panel = { title: string; targets: { expr: string }[]; fieldConfig: { defaults: { min?: number; custom?: { scaleDistribution?: { type: string } }; thresholds?: { steps: { value: number | null }[] } } } };
    const doc = JSON.parse(fs.readFileSync(dashboardFile, 'utf8')) as { panels: Panel[] };
    const scorePanels = doc.panels.filter((p) => p.targets.some((t) => t.expr.includes('openexpert_monitor_feature_drift_score')));
    const kinds = scorePanels.map((p) => p.targets.map((t) => /score_kind="(p_value|distance)"/.exec(t.expr)?.[1]));
    expect(kinds).toEqual([['p_value'], ['distance']]);
    const [pValues, distances] = scorePanels as [Panel, Panel];
    expect(pValues.fieldConfig.defaults.custom?.scaleDistribution?.type).toBe('log');
    expect(pValues.fieldConfig.defaults.thresholds?.steps.map((s) => s.value)).toContain(0.05);
    expect(distances.fieldConfig.defaults.min).toBe(0);
    expect(distances.fieldConfig.defaults.thresholds?.steps.map((s) => s.value)).toContain(0.1);
  });

  it.skipIf(!hasPromtool)('promtool accepts the rules file', () => {
    const out = execFileSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
  });
});
