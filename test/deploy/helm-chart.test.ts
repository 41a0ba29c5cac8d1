import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { dockerfileFacts } from './dockerfile-rules.js';
import { dashboardConfigMapTemplate, renderChart, type RenderedManifest } from './helm-render.js';

/**
 * The Helm chart under deploy/helm/openexpert, rendered as `helm template` would (see helm-render.ts for the
 * engine and why) with its default values and with the variants users switch on, every object validated against
 * the Kubernetes JSON schemas in deploy/schemas/kubernetes, and checked for what the schemas cannot know.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const chartDir = path.join(root, 'deploy/helm/openexpert');
const schemaDir = path.join(root, 'deploy/schemas/kubernetes');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const configVariables = new Set([...read('src/config/config.ts').matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
const image = dockerfileFacts(read('Dockerfile'));

// Strict about unknown keywords; allOf branches that only add `required` are the schemas' way of narrowing a shared definition.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
for (const file of fs.readdirSync(schemaDir).filter((f) => f.endsWith('.json'))) ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemaDir, file), 'utf8')) as object);
const schemaFor: Record<string, string> = {
  'apps/v1/Deployment': 'deployment.json',
  'v1/Service': 'service.json',
  'v1/Secret': 'secret.json',
  'v1/ConfigMap': 'configmap.json',
  'batch/v1/Job': 'job.json',
  'monitoring.coreos.com/v1/ServiceMonitor': 'servicemonitor.json',
};

function validateAll(manifests: readonly RenderedManifest[]): void {
  for (const { source, object } of manifests) {
    const schema = schemaFor[`${object.apiVersion}/${object.kind}`];
    expect(schema, `${source}: no schema for ${object.apiVersion} ${object.kind}`).toBeDefined();
    const validate = ajv.getSchema(`https://openexpert.dev/schemas/kubernetes/${schema}`)!;
    expect(validate(object), `${source}: ${JSON.stringify(validate.errors, null, 2)}`).toBe(true);
  }
}

type Container = { name: string; args?: string[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]; ports?: { name: string; containerPort: number }[]; readinessProbe?: { httpGet: { path: string; port: string } }; livenessProbe?: { httpGet: { path: string; port: string } }; resources?: { requests?: Record<string, string> } };
type PodSpec = { containers: Container[]; securityContext?: { runAsNonRoot?: boolean; runAsUser?: number } };
const find = (manifests: readonly RenderedManifest[], kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object as RenderedManifest['object'] & { spec: Record<string, unknown>; stringData?: Record<string, string>; data?: Record<string, string> });
const podOf = (o: { spec: Record<string, unknown> }) => (o.spec.template as { spec: PodSpec }).spec;

describe('Helm chart deploy/helm/openexpert', () => {
  let defaults: RenderedManifest[];
  beforeAll(async () => {
    defaults = await renderChart(chartDir, { name: 'ml', namespace: 'mlops' });
  }, 60_000);

  it('renders with its default values into valid Kubernetes objects: Deployment, Service, Secret, migration Job, dashboard', () => {
    expect(defaults.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort()).toEqual([
      'ConfigMap/ml-openexpert-dashboard', 'Deployment/ml-openexpert', 'Job/ml-migrate', 'Secret/ml-openexpert', 'Service/ml-openexpert',
    ]);
    validateAll(defaults);
  });

  it('runs the replicas with probes on the health route, resource requests, a non-root user and the settings the server reads', () => {
    const values = YAML.parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as { replicaCount: number; containerPort: number; resources: { requests: Record<string, string> } };
    const [deployment] = find(defaults, 'Deployment');
    expect(deployment!.spec.replicas).toBe(values.replicaCount);
    const pod = podOf(deployment!);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const [server] = pod.containers;
    expect(server!.args).toEqual(['server']);
    expect(server!.ports).toEqual([{ name: 'http', containerPort: values.containerPort, protocol: 'TCP' }]);
    expect(values.containerPort).toBe(image.exposed[0]);
    for (const probe of [server!.readinessProbe, server!.livenessProbe]) expect(probe!.httpGet).toEqual({ path: '/api/v1/health', port: 'http' });
    expect(server!.resources!.requests).toEqual(values.resources.requests);
    for (const variable of server!.env!) expect(configVariables, variable.name).toContain(variable.name);

    // The settings parse, as the server will parse them, into PostgreSQL and S3 (secrets filled from the chart's Secret).
    const [secret] = find(defaults, 'Secret');
    const env = Object.fromEntries(server!.env!.map((v) => [v.name, v.value ?? secret!.stringData![v.valueFrom!.secretKeyRef!.key]!]));
    const config = loadConfig({}, { ...image.env, ...env });
    expect(config.dbUrl).toMatch(/^postgres:\/\//);
    expect(config.artifactsUri).toMatch(/^s3:\/\//);
    expect(config.port).toBe(values.containerPort);
    expect(config.s3.accessKeyId).toBe(secret!.stringData!['s3-access-key-id']);
    expect(config.auth).toBe(true);
  });

  it('takes every credential from the Secret, which exists before the migration hook runs', () => {
    const [secret] = find(defaults, 'Secret');
    const [deployment] = find(defaults, 'Deployment');
    const [job] = find(defaults, 'Job');
    for (const container of [...podOf(deployment!).containers, ...podOf(job!).containers]) {
      const fromSecret = container.env!.filter((v) => v.valueFrom).map((v) => v.valueFrom!.secretKeyRef!);
      expect(fromSecret.map((r) => r.key).sort()).toEqual(['admin-password', 'database-url', 's3-access-key-id', 's3-secret-access-key']);
      for (const ref of fromSecret) {
        expect(ref.name).toBe(secret!.metadata.name);
        expect(Object.keys(secret!.stringData!)).toContain(ref.key);
      }
      for (const name of ['OPENEXPERT_DB', 'AWS_SECRET_ACCESS_KEY', 'OPENEXPERT_ADMIN_PASSWORD']) expect(container.env!.find((v) => v.name === name)?.value, name).toBeUndefined();
    }
    const weight = (o: { metadata: { annotations?: Record<string, string> } }) => Number(o.metadata.annotations?.['helm.sh/hook-weight']);
    expect(secret!.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(weight(secret!)).toBeLessThan(weight(job!));
  });

  it('migrates in a pre-install/pre-upgrade hook Job running `openexpert db migrate`', () => {
    const [job] = find(defaults, 'Job');
    expect(job!.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade' });
    const pod = podOf(job!) as PodSpec & { restartPolicy: string };
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.containers[0]!.args).toEqual(['db', 'migrate']);
    expect(pod.containers[0]!.env!.map((v) => v.name)).toContain('OPENEXPERT_DB');
  });

  it('serves the pods: the Service selects the Deployment\'s pods on the named port', () => {
    const [service] = find(defaults, 'Service');
    const [deployment] = find(defaults, 'Deployment');
    const podLabels = (deployment!.spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels;
    expect(podLabels).toMatchObject(service!.spec.selector as Record<string, string>);
    expect((deployment!.spec.selector as { matchLabels: Record<string, string> }).matchLabels).toEqual(service!.spec.selector);
    expect(service!.spec.ports).toEqual([{ name: 'http', port: 5000, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('ships the Grafana dashboard of deploy/grafana as a ConfigMap, unchanged', () => {
    const dashboard = read('deploy/grafana/openexpert-monitoring.dashboard.json');
    expect(read('deploy/helm/openexpert/templates/grafana-dashboard.yaml'), 'regenerate: npx tsx test/deploy/write-dashboard-configmap.ts').toBe(dashboardConfigMapTemplate(dashboard));
    const [configMap] = find(defaults, 'ConfigMap');
    expect(configMap!.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(JSON.parse(configMap!.data!['openexpert-monitoring.json']!)).toEqual(JSON.parse(dashboard));
  });

  it('adds a ServiceMonitor on request, selecting the Service, and leaves out what is switched off', async () => {
    const manifests = await renderChart(chartDir, { name: 'ml', namespace: 'mlops', isUpgrade: true }, {
      existingSecret: 'vault-openexpert',
      replicaCount: 5,
      s3: { endpoint: '' },
      extraEnv: { OPENEXPERT_AUDIT_RETENTION_DAYS: '90' },
      metrics: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' }, bearerTokenSecret: { name: 'scraper', key: 'token' } } },
      grafanaDashboard: { enabled: false },
      migrations: { enabled: false },
    });
    validateAll(manifests);
    expect(manifests.map((m) => m.object.kind).sort()).toEqual(['Deployment', 'Service', 'ServiceMonitor']);
    const [monitor] = find(manifests, 'ServiceMonitor');
    const [service] = find(manifests, 'Service');
    expect(monitor!.metadata.labels).toMatchObject({ release: 'prometheus' });
    expect((monitor!.spec.selector as { matchLabels: unknown }).matchLabels).toEqual(service!.spec.selector);
    expect(monitor!.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s', bearerTokenSecret: { name: 'scraper', key: 'token' } }]);
    const [deployment] = find(manifests, 'Deployment');
    expect(deployment!.spec.replicas).toBe(5);
    const env = podOf(deployment!).containers[0]!.env!;
    for (const v of env.filter((e) => e.valueFrom)) expect(v.valueFrom!.secretKeyRef!.name).toBe('vault-openexpert');
    expect(env.map((v) => v.name)).not.toContain('OPENEXPERT_S3_ENDPOINT');
    expect(env).toContainEqual({ name: 'OPENEXPERT_AUDIT_RETENTION_DAYS', value: '90' });
    for (const variable of env) expect(configVariables, variable.name).toContain(variable.name);
  }, 60_000);

  it('refuses what Kubernetes would refuse', () => {
    const [deployment] = find(defaults, 'Deployment');
    const broken = structuredClone(deployment!) as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    broken.spec.template.spec.containers[0]!.readinesProbe = {};
    const validate = ajv.getSchema('https://openexpert.dev/schemas/kubernetes/deployment.json')!;
    expect(validate(broken)).toBe(false);
    const badName = { ...structuredClone(deployment!), metadata: { name: 'ML_OpenExpert' } };
    expect(validate(badName)).toBe(false);
  });
});
