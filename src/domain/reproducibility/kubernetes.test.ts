import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { renderArgoWorkflow, renderJob } from './kubernetes.js';
import { parsePipelineText, resolvePipeline } from './pipeline-spec.js';

/**
 * Rendered manifests checked against the JSON schemas shipped in manifest-schemas/ (written from the Kubernetes
 * batch/v1 and Argo v1alpha1 API references; no cluster is needed), and against what the pipeline file says.
 */
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'manifest-schemas');
const ajv = new Ajv({ allErrors: true, strict: false });
for (const f of fs.readdirSync(dir)) ajv.addSchema(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
const validJob = ajv.getSchema('https://openexpert.dev/schemas/kubernetes-job.json')!;
const validWorkflow = ajv.getSchema('https://openexpert.dev/schemas/argo-workflow.json')!;
const errors = (v: typeof validJob) => ajv.errorsText(v.errors);

const pipeline = resolvePipeline(parsePipelineText(`
name: churn-training
parallelism: 3
defaults: {retries: 2, backoff: 10s, image: python:3.11-slim}
steps:
  prepare:
    command: python prepare.py --rows \${params.rows}
    inputs: [raw.csv]
    outputs: [data/clean.csv]
    params: {rows: 1000}
    resources: {memory: 512Mi, cpu: 500m, timeout: 10m}
  train-model:
    command: python train.py
    inputs: [data/clean.csv]
    outputs: [model/]
    env: {EPOCHS: "3"}
    resources: {memory: 2Gi, gpu: 1}
    image: pytorch/pytorch:2.4.0
  evaluate:
    command: python eval.py
    inputs: [model/, data/clean.csv]
    outputs: [metrics.json]
    retries: 0
`));
const opts = { namespace: 'ml', image: 'busybox:1.36', workspaceClaim: 'churn-workspace', env: { MLFLOW_TRACKING_URI: 'http://openexpert:5000' } };

describe('Kubernetes and Argo manifests', () => {
  it('renders one valid batch/v1 Job per step with its command, limits, retries and timeout', () => {
    const jobs = pipeline.steps.map((s) => renderJob(pipeline, s, opts, 'a1b2c3'));
    for (const job of jobs) expect(validJob(job), errors(validJob)).toBe(true);
    const [prepare, train] = jobs;
    expect(prepare!.metadata.name).toBe('churn-training-prepare-a1b2c3');
    expect(prepare!.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 600 });
    const c = prepare!.spec.template.spec.containers[0]!;
    expect(c).toMatchObject({ image: 'python:3.11-slim', command: ['/bin/sh', '-c', 'python prepare.py --rows 1000'], workingDir: '/workspace' });
    expect(c.resources).toEqual({ requests: { memory: '512Mi', cpu: '500m' }, limits: { memory: '512Mi', cpu: '500m' } });
    const t = train!.spec.template.spec.containers[0]!;
    expect(t.image).toBe('pytorch/pytorch:2.4.0');
    expect(t.resources?.limits).toEqual({ memory: '2048Mi', 'nvidia.com/gpu': '1' });
    expect(t.env).toEqual([{ name: 'EPOCHS', value: '3' }, { name: 'MLFLOW_TRACKING_URI', value: 'http://openexpert:5000' }]);
    expect(train!.spec.template.spec.volumes).toEqual([{ name: 'workspace', persistentVolumeClaim: { claimName: 'churn-workspace' } }]);
  });

  it('exports the DAG as a valid Argo Workflow whose dependencies are the steps\' needs', () => {
    const wf = renderArgoWorkflow(pipeline, opts);
    expect(validWorkflow(wf), errors(validWorkflow)).toBe(true);
    expect(wf.spec.parallelism).toBe(3);
    const dag = (wf.spec.templates[0] as { dag: { tasks: unknown[] } }).dag.tasks;
    expect(dag).toEqual([
      { name: 'prepare', template: 'prepare' },
      { name: 'train-model', template: 'train-model', dependencies: ['prepare'] },
      { name: 'evaluate', template: 'evaluate', dependencies: ['prepare', 'train-model'] },
    ]);
    const prepare = wf.spec.templates.find((t) => t.name === 'prepare')!;
    expect(prepare).toMatchObject({ retryStrategy: { limit: '2', retryPolicy: 'Always', backoff: { duration: '10s', factor: '2' } }, activeDeadlineSeconds: '600' });
    expect(wf.spec.templates.find((t) => t.name === 'evaluate')).not.toHaveProperty('retryStrategy');
  });

  it('has schemas that refuse what a cluster would refuse', () => {
    const job = renderJob(pipeline, pipeline.steps[0]!, opts, 'x');
    expect(validJob({ ...job, metadata: { ...job.metadata, name: 'Churn_Prepare' } })).toBe(false);
    expect(validJob({ ...job, spec: { ...job.spec, template: { ...job.spec.template, spec: { ...job.spec.template.spec, restartPolicy: 'Always' } } } })).toBe(false);
    const wf = renderArgoWorkflow(pipeline, opts);
    expect(validWorkflow({ ...wf, spec: { ...wf.spec, entrypoint: undefined } })).toBe(false);
    expect(validWorkflow({ ...wf, spec: { ...wf.spec, templates: [{ name: 'bad', container: { name: 'step', image: 'x', resources: { limits: { memory: 'lots' } } } }] } })).toBe(false);
  });
});
