import type { Pipeline, ResolvedStep } from './pipeline-spec.js';

/**
 * Pipeline steps as Kubernetes objects: a batch/v1 Job per step, or the whole DAG as one Argo Workflow. Steps
 * share files through one volume (a PersistentVolumeClaim holding the pipeline folder), mounted where the step
 * runs, so an output one step writes is the input the next one reads, as in a local run.
 */
export interface KubernetesOptions {
  readonly namespace: string;
  /** Image for steps that name none (and no pipeline default). */
  readonly image: string;
  /** The PersistentVolumeClaim holding the pipeline folder. */
  readonly workspaceClaim: string;
  /** Extra environment for every step, e.g. MLFLOW_TRACKING_URI of a tracked run. */
  readonly env?: Readonly<Record<string, string>>;
}

const WORKDIR = '/workspace';

/** A DNS-1123 label: lowercase alphanumerics and dashes, at most 63 characters. */
export function objectName(...parts: string[]): string {
  const name = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return name.length <= 63 ? name : name.slice(0, 63).replace(/-+$/, '');
}

/** Kubernetes quantities: memory in bytes as Mi when it divides evenly, CPU as given. */
function resources(step: ResolvedStep): Record<string, Record<string, string>> | undefined {
  const limits: Record<string, string> = {};
  if (step.memoryBytes) limits.memory = step.memoryBytes % 2 ** 20 === 0 ? `${step.memoryBytes / 2 ** 20}Mi` : String(step.memoryBytes);
  if (step.cpu) limits.cpu = step.cpu;
  if (step.gpu) limits['nvidia.com/gpu'] = String(step.gpu);
  // Requests equal limits: the scheduler reserves what the step may use, so it is not evicted for using it.
  return Object.keys(limits).length ? { requests: { ...limits }, limits } : undefined;
}

function container(step: ResolvedStep, opts: KubernetesOptions) {
  const env = { ...step.env, ...(opts.env ?? {}) };
  const res = resources(step);
  return {
    name: 'step',
    image: step.image ?? opts.image,
    command: ['/bin/sh', '-c', step.command],
    workingDir: WORKDIR,
    ...(Object.keys(env).length ? { env: Object.entries(env).map(([name, value]) => ({ name, value })) } : {}),
    ...(res ? { resources: res } : {}),
    volumeMounts: [{ name: 'workspace', mountPath: WORKDIR }],
  };
}

const labels = (pipeline: Pipeline, step?: ResolvedStep) => ({
  'app.kubernetes.io/managed-by': 'openexpert',
  'openexpert.io/pipeline': objectName(pipeline.name),
  ...(step ? { 'openexpert.io/step': objectName(step.name) } : {}),
});

/** One step as a Job: retries become `backoffLimit`, the timeout `activeDeadlineSeconds`. */
export function renderJob(pipeline: Pipeline, step: ResolvedStep, opts: KubernetesOptions, suffix: string) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: objectName(pipeline.name, step.name, suffix), namespace: opts.namespace, labels: labels(pipeline, step) },
    spec: {
      backoffLimit: step.retries,
      ...(step.timeoutMs ? { activeDeadlineSeconds: Math.ceil(step.timeoutMs / 1000) } : {}),
      ttlSecondsAfterFinished: 86_400,
      template: {
        metadata: { labels: labels(pipeline, step) },
        spec: {
          restartPolicy: 'Never',
          containers: [container(step, opts)],
          volumes: [{ name: 'workspace', persistentVolumeClaim: { claimName: opts.workspaceClaim } }],
        },
      },
    },
  };
}

/** The whole DAG as an Argo Workflow: one template per step, a `dag` template wiring them by `dependencies`. */
export function renderArgoWorkflow(pipeline: Pipeline, opts: KubernetesOptions) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: `${objectName(pipeline.name)}-`, namespace: opts.namespace, labels: labels(pipeline) },
    spec: {
      entrypoint: 'pipeline',
      parallelism: pipeline.parallelism,
      volumes: [{ name: 'workspace', persistentVolumeClaim: { claimName: opts.workspaceClaim } }],
      templates: [
        {
          name: 'pipeline',
          dag: {
            tasks: pipeline.steps.map((s) => ({
              name: objectName(s.name),
              template: objectName(s.name),
              ...(s.needs.length ? { dependencies: s.needs.map((n) => objectName(n)) } : {}),
            })),
          },
        },
        ...pipeline.steps.map((s) => ({
          name: objectName(s.name),
          metadata: { labels: labels(pipeline, s) },
          ...(s.retries ? { retryStrategy: { limit: String(s.retries), retryPolicy: 'Always', backoff: { duration: `${Math.max(1, Math.round(pipeline.backoffMs / 1000))}s`, factor: '2' } } } : {}),
          ...(s.timeoutMs ? { activeDeadlineSeconds: String(Math.ceil(s.timeoutMs / 1000)) } : {}),
          container: container(s, opts),
        })),
      ],
    },
  };
}
