import fs from 'node:fs';
import path from 'node:path';
import { parse as renderGoTemplate } from '@evertdespiegeleer/go-template';
import YAML from 'yaml';

/**
 * Renders the Helm chart as `helm template` would, for CI without a Helm binary. The engine is Go's own
 * text/template compiled to WebAssembly (@evertdespiegeleer/go-template), so parsing, whitespace trimming,
 * `define`/`template`, `if`/`range`/`with` and the builtin functions behave exactly as in Helm. It has none of
 * Helm's Sprig functions, `include`, `tpl` or `.Files`; the chart is written without them (its _helpers.tpl says
 * so). It stops at a missing map key where Helm prints nothing, which also catches a misspelt value.
 */
export interface Release {
  readonly name: string;
  readonly namespace: string;
  readonly isUpgrade?: boolean;
}

export interface RenderedManifest {
  /** Template file the object came from, relative to the chart (templates/…). */
  readonly source: string;
  readonly object: Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> } };
}

/** Values files merge as Helm merges them: maps key by key, anything else replaced. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (isMap(base) && isMap(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? mergeValues(base[k], v) : v;
    return out;
  }
  return override === undefined ? base : override;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function renderChart(chartDir: string, release: Release, overrides: Record<string, unknown> = {}): Promise<RenderedManifest[]> {
  const chart = YAML.parse(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };
  const values = mergeValues(YAML.parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')), overrides);
  const templatesDir = path.join(chartDir, 'templates');
  const files = fs.readdirSync(templatesDir).sort();
  // Helm parses every template into one set, so definitions in any file (by convention _*.tpl) are visible to all.
  const definitions = files.filter((f) => f.startsWith('_')).map((f) => fs.readFileSync(path.join(templatesDir, f), 'utf8')).join('\n');
  const data = {
    Values: values,
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm', IsInstall: !release.isUpgrade, IsUpgrade: release.isUpgrade === true, Revision: 1 },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  };
  const manifests: RenderedManifest[] = [];
  for (const file of files.filter((f) => !f.startsWith('_') && /\.ya?ml$/.test(f))) {
    const text = await renderGoTemplate(`${definitions}${fs.readFileSync(path.join(templatesDir, file), 'utf8')}`, data);
    for (const doc of YAML.parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`templates/${file}: ${doc.errors[0]!.message}\n${text}`);
      const object = doc.toJS() as RenderedManifest['object'] | null;
      if (object !== null) manifests.push({ source: `templates/${file}`, object });
    }
  }
  return manifests;
}

/** The template of the dashboard ConfigMap: the JSON as it is in deploy/grafana, its `{{ }}` (legend formats) escaped for the template engine. */
export function dashboardConfigMapTemplate(dashboardJson: string): string {
  const escaped = dashboardJson.trimEnd().replace(/\{\{|\}\}/g, (m) => `{{ "${m}" }}`);
  return `{{- if .Values.grafanaDashboard.enabled }}
# Generated from deploy/grafana/openexpert-monitoring.dashboard.json by \`npx tsx test/deploy/write-dashboard-configmap.ts\`
# (Helm's .Files.Get would read it from the chart; this chart keeps to what Go's text/template alone renders).
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ printf "%s-openexpert-dashboard" .Release.Name }}
  labels:{{ template "openexpert.labels" . }}
{{- range $name, $value := .Values.grafanaDashboard.labels }}
    {{ $name }}: {{ printf "%q" $value }}
{{- end }}
data:
  openexpert-monitoring.json: |
${escaped.split('\n').map((line) => (line === '' ? '' : `    ${line}`)).join('\n')}
{{- end }}
`;
}
