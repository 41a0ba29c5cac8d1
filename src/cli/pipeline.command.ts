import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Option, type Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { clientUrl, retrainRequestOf } from '../config/config.js';
import { invalid } from '../core/errors.js';
import { newHexId } from '../core/ids.js';
import { artifactPathOf } from '../domain/artifacts/artifact-uri.js';
import { gitState } from '../domain/reproducibility/capture.js';
import { localExecutor } from '../domain/reproducibility/local-executor.js';
import { StepCache } from '../domain/reproducibility/pipeline-cache.js';
import { runPipeline, type StepReport, type StepTracker } from '../domain/reproducibility/pipeline-runner.js';
import { parsePipelineText, resolvePipeline, type Pipeline } from '../domain/reproducibility/pipeline-spec.js';
import { renderArgoWorkflow, renderJob } from '../domain/reproducibility/kubernetes.js';
import { kubernetesExecutor } from '../domain/reproducibility/kubernetes-executor.js';
import type { Executor } from '../domain/reproducibility/pipeline-runner.js';
import type { PipelineRunInput } from '../domain/reproducibility/schemas.js';
import type { Run } from '../domain/tracking/types.js';
import { getFile, putFile } from './dataset-transfer.js';
import type { Common } from './models.command.js';
import { printJson, printTable } from './output.js';
import { apiOf, experimentIdOf } from './tracked-run.js';

const enc = encodeURIComponent;
const collect = (value: string, previous: string[] = []) => [...previous, value];

interface PipelineOptions extends Common {
  file: string;
  executor?: 'local' | 'kubernetes';
  kubeApi?: string;
  kubeTokenFile?: string;
  namespace?: string;
  image?: string;
  claim?: string;
  env?: string;
  offline?: boolean;
  force: string[];
  parallelism?: string;
  json?: boolean;
}

function load(opts: PipelineOptions): { pipeline: Pipeline; root: string; text: string; lockFile: string } {
  const file = path.resolve(opts.file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(`Cannot read the pipeline file '${opts.file}': ${(err as Error).message}`);
  }
  const parsed = parsePipelineText(text, path.basename(file));
  if (opts.parallelism !== undefined) {
    const n = Number(opts.parallelism);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw invalid(`Invalid --parallelism '${opts.parallelism}': a whole number from 1 to 256`);
    parsed.parallelism = n;
  }
  const root = path.dirname(file);
  return { pipeline: resolvePipeline(parsed, opts.env), root, text, lockFile: path.join(root, path.basename(file).replace(/\.ya?ml$/, '') + '.lock') };
}

/** Each attempt of a step is a run of the pipeline's experiment, linked in the lineage graph to the runs that fed it. */
function httpTracker(opts: Common, pipeline: Pipeline, experimentId: string, commit: string | undefined, root: string): StepTracker {
  const api = apiOf(opts);
  return {
    async dataset(ref, dir) {
      const [name, version] = ref.split('@') as [string, string];
      const base = `/api/v1/datasets/${enc(name)}/versions/${enc(version)}`;
      const v = await api<{ version: number; digest: string; files: { path: string; sha256: string; size: number }[] }>('GET', base);
      for (const f of v.files) {
        const out = path.join(dir, ...f.path.split('/'));
        if (fs.existsSync(out) && createHash('sha256').update(fs.readFileSync(out)).digest('hex') === f.sha256) continue;
        await getFile(opts, `${base}/file?path=${enc(f.path)}`, f, `${name}@${v.version}`, out, new PassThrough());
      }
      return v.digest;
    },
    async start(step, key, upstreamRuns) {
      const tags = {
        'openexpert.pipeline': pipeline.name, 'openexpert.step': step.name, 'openexpert.cache_key': key, 'mlflow.source.name': step.command.slice(0, 500),
        ...(commit ? { 'mlflow.source.git.commit': commit } : {}), ...(pipeline.environment ? { 'openexpert.environment': pipeline.environment } : {}),
        // Started by a monitoring rule's retrain trigger (`retrain: {command: [openexpert, pipeline, run, …]}`).
        ...(retrainRequestOf() ? { 'openexpert.retrain_request': retrainRequestOf()! } : {}),
      };
      const run = await api<Run>('POST', '/api/v1/runs', {
        body: { experimentId, runName: `${pipeline.name}.${step.name}`, startTime: Date.now(), ...(opts.user ? { userId: opts.user } : {}), tags: Object.entries(tags).map(([k, value]) => ({ key: k, value })) },
        headers: { 'idempotency-key': randomUUID() },
      });
      const params = Object.entries(step.params).map(([k, v]) => ({ key: k, value: String(v) }));
      if (params.length) await api('POST', `/api/v1/runs/${run.info.runId}/batch`, { body: { params } });
      const edges = [
        ...upstreamRuns.map((r) => ({ from: { kind: 'run', id: r }, to: { kind: 'run', id: run.info.runId }, relation: 'derived_from' })),
        ...step.datasetInputs.map((d) => ({ from: { kind: 'dataset_version', id: d.dataset }, to: { kind: 'run', id: run.info.runId }, relation: 'consumed' })),
      ];
      if (edges.length) await api('POST', '/api/v1/lineage/edges', { body: { edges } });
      const url = clientUrl(opts.url);
      return { runId: run.info.runId, env: { MLFLOW_TRACKING_URI: url, MLFLOW_RUN_ID: run.info.runId, MLFLOW_EXPERIMENT_ID: experimentId, OPENEXPERT_URL: url, OPENEXPERT_RUN_ID: run.info.runId } };
    },
    async finish(runId, step, outcome) {
      const run = await api<Run>('GET', `/api/v1/runs/${runId}`);
      const artifact = (relative: string) => `/api/2.0/mlflow-artifacts/artifacts/${[...artifactPathOf(run.info.artifactUri).split('/'), ...relative.split('/')].map(enc).join('/')}`;
      await putFile(opts, artifact('openexpert/output.log'), outcome.logFile, fs.statSync(outcome.logFile).size, new PassThrough());
      for (const out of step.outputs) {
        const files = outcome.files.filter((f) => f.path === out.path || f.path.startsWith(`${out.path}/`));
        if (!out.dataset) {
          for (const f of files) await putFile(opts, artifact(`outputs/${f.path}`), path.join(root, f.path), f.size, new PassThrough());
          continue;
        }
        const { missing } = await api<{ missing: string[] }>('POST', `/api/v1/datasets/${enc(out.dataset)}/blobs/missing`, { body: { files: files.map((f) => ({ sha256: f.sha256, size: f.size })) } });
        for (const f of files.filter((f) => missing.includes(f.sha256))) {
          await putFile(opts, `/api/v1/datasets/${enc(out.dataset)}/blobs/${f.sha256}`, path.join(root, f.path), f.size, new PassThrough());
        }
        const within = (p: string) => (p === out.path ? path.posix.basename(p) : p.slice(out.path.length + 1));
        await api('POST', '/api/v1/datasets', { body: { name: out.dataset, files: files.map((f) => ({ path: within(f.path), sha256: f.sha256, size: f.size })), producedBy: runId } });
      }
      if (outcome.usage) await api('POST', `/api/v1/runs/${runId}/usage`, { body: { ...outcome.usage, source: 'pipeline-step' } });
      await api('PATCH', `/api/v1/runs/${runId}`, { body: { status: outcome.status, endTime: Date.now() } });
      if (outcome.error) await api('POST', `/api/v1/runs/${runId}/batch`, { body: { tags: [{ key: 'openexpert.error', value: outcome.error.slice(0, 5000) }] } });
    },
  };
}

/**
 * The pipeline run's state on the server (for the UI), sent whole after each change; a send still under way
 * when another change comes is followed by one more with the latest state.
 */
function statePublisher(opts: Common, id: string, base: Omit<PipelineRunInput, 'steps' | 'status'>, pipeline: Pipeline) {
  const api = apiOf(opts);
  const steps = new Map(pipeline.steps.map((s) => [s.name, { name: s.name, needs: [...s.needs], state: 'pending' as PipelineRunInput['steps'][number]['state'], attempts: 0 }]));
  let status: PipelineRunInput['status'] = 'running';
  let finishedAt: number | undefined;
  let sending: Promise<void> | undefined;
  let again = false;
  const send = async () => {
    const body = { ...base, status, ...(finishedAt ? { finishedAt } : {}), steps: [...steps.values()] };
    await api('PUT', `/api/v1/pipeline-runs/${id}`, { body });
  };
  const flush = (): Promise<void> => {
    if (sending) {
      again = true;
      return sending;
    }
    sending = send().finally(() => {
      sending = undefined;
      if (again) {
        again = false;
        void flush();
      }
    });
    return sending;
  };
  return {
    update(r: StepReport) {
      if (r.state === 'would-run') return;
      steps.set(r.step, {
        ...steps.get(r.step)!, state: r.state, attempts: r.attempts,
        ...(r.cache ? { cache: r.cache } : {}), ...(r.reason ? { reason: r.reason.slice(0, 2000) } : {}), ...(r.key ? { key: r.key } : {}),
        ...(r.runId ? { runId: r.runId } : {}), ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}), ...(r.error ? { error: r.error.slice(0, 4000) } : {}),
      });
      void flush().catch(() => undefined);
    },
    async finish(ok: boolean) {
      status = ok ? 'succeeded' : 'failed';
      finishedAt = Date.now();
      while (sending) await sending.catch(() => undefined);
      await send();
    },
  };
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Local processes, or Kubernetes Jobs through the API server (in a pod: its service account, unless told otherwise). */
function executorFor(opts: PipelineOptions, pipeline: Pipeline): Executor {
  if (opts.executor !== 'kubernetes') return localExecutor;
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const url = opts.kubeApi ?? (host ? `https://${host.includes(':') ? `[${host}]` : host}:${process.env.KUBERNETES_SERVICE_PORT ?? '443'}` : undefined);
  if (!url) throw invalid('The kubernetes executor needs --kube-api <url> (or to run in a pod, where KUBERNETES_SERVICE_HOST is set)');
  const tokenFile = opts.kubeTokenFile ?? (fs.existsSync(SERVICE_ACCOUNT_TOKEN) ? SERVICE_ACCOUNT_TOKEN : undefined);
  const token = tokenFile ? fs.readFileSync(tokenFile, 'utf8').trim() : undefined;
  return kubernetesExecutor(pipeline, { url, ...(token ? { token } : {}) }, {
    namespace: opts.namespace ?? 'default', image: opts.image ?? 'python:3.11-slim', workspaceClaim: opts.claim ?? `${pipeline.name}-workspace`,
  });
}

/**
 * Started by a monitor's retrain trigger: the request is completed (or failed) with the run of the pipeline's last
 * step, so the monitor's history and the lineage (alert → retrain request → run) show what the alert set off.
 */
async function reportRetrain(opts: Common, pipeline: Pipeline, reports: readonly StepReport[], ok: boolean): Promise<void> {
  const requestId = retrainRequestOf();
  if (!requestId) return;
  const last = [...reports].reverse().find((r) => r.runId !== undefined);
  const count = (state: string) => reports.filter((r) => r.state === state).length;
  const failed = reports.filter((r) => r.state === 'failed').map((r) => `${r.step} (${r.error ?? r.reason ?? 'failed'})`);
  const detail = `pipeline ${pipeline.name}${pipeline.environment ? ` (${pipeline.environment})` : ''}: ${count('succeeded')} ran, ${count('cached')} cached`
    + `${failed.length ? `, failed: ${failed.join('; ')}` : ''}${count('skipped') ? `, ${count('skipped')} skipped` : ''}`;
  await apiOf(opts)('POST', `/api/v1/retrain-requests/${enc(requestId)}/outcome`, {
    body: { status: ok ? 'completed' : 'failed', ...(last?.runId ? { runId: last.runId } : {}), detail: detail.slice(0, 2000) },
  });
}

function printReports(reports: readonly StepReport[]): void {
  printTable(reports, [
    { header: 'STEP', value: (r) => r.step },
    { header: 'STATE', value: (r) => r.state },
    { header: 'CACHE', value: (r) => r.cache },
    { header: 'TRIES', value: (r) => r.attempts || '' },
    { header: 'SECONDS', value: (r) => (r.durationMs !== undefined ? (r.durationMs / 1000).toFixed(2) : '') },
    { header: 'WHY', value: (r) => r.error ?? r.reason },
  ]);
}

const pipelineOptions = (cmd: Command) => cmd
  .option('-f, --file <file>', 'the pipeline file', 'openexpert.pipeline.yaml')
  .option('--env <name>', 'apply this environment\'s overrides (e.g. dev, staging, prod)')
  .option('--url <url>', 'server URL (default $OPENEXPERT_URL, $MLFLOW_TRACKING_URI or http://127.0.0.1:5000)')
  .addOption(new Option('--user <name>', 'act as this user (auth off)').env('OPENEXPERT_USER'))
  .option('--json', 'print JSON');

export function registerPipelineCommand(program: Command): void {
  const group = program.command('pipeline').description('Cached, retryable pipeline steps from openexpert.pipeline.yaml');

  pipelineOptions(group.command('run').description('Run the pipeline: unchanged steps come from the cache, the rest run in parallel up to the limit'))
    .option('--dry-run', 'say what would run and why, run nothing')
    .option('--offline', 'do not record steps as runs on a server (dataset inputs and outputs need one)')
    .option('--force <step>', 'run this step even when cached (repeatable)', collect, [])
    .option('--parallelism <n>', 'at most this many steps at once (default: the file\'s, else 2)')
    .addOption(new Option('--executor <kind>', 'where steps run: local processes, or Kubernetes Jobs (the runner must see the workspace claim\'s folder)').choices(['local', 'kubernetes']).default('local'))
    .option('--kube-api <url>', 'Kubernetes API server (default: in-cluster)')
    .option('--kube-token-file <file>', 'bearer token file (default: the pod\'s service account token)')
    .option('--namespace <ns>', 'namespace of the Jobs', 'default')
    .option('--image <image>', 'image for steps that name none', 'python:3.11-slim')
    .option('--claim <name>', 'PersistentVolumeClaim holding the pipeline folder (default <pipeline>-workspace)')
    .action(async (opts: PipelineOptions & { dryRun?: boolean }) => {
      const { pipeline, root, text, lockFile } = load(opts);
      const executor = executorFor(opts, pipeline);
      const cache = new StepCache(path.join(root, '.openexpert', 'cache'));
      if (opts.dryRun) return report(opts, await runPipeline({ root, pipeline, cache, executor: localExecutor, lockFile, dryRun: true, force: opts.force }));
      const tracked = !opts.offline;
      const experimentId = tracked ? await experimentIdOf(opts, pipeline.experiment) : undefined;
      const publisher = experimentId
        ? statePublisher(opts, newHexId(), {
          name: pipeline.name, experimentId, fileSha256: createHash('sha256').update(text).digest('hex'), startedAt: Date.now(), executor: opts.executor ?? 'local',
          ...(pipeline.environment ? { environment: pipeline.environment } : {}),
        }, pipeline)
        : undefined;
      const commit = tracked ? (await gitState(root))?.commit : undefined;
      const reports = await runPipeline({
        root, pipeline, cache, executor, lockFile, force: opts.force,
        ...(experimentId ? { tracker: httpTracker(opts, pipeline, experimentId, commit, root) } : {}),
        onEvent: (r) => {
          publisher?.update(r);
          if (!opts.json && (r.state !== 'pending')) console.error(`openexpert: ${r.step}: ${r.state}${r.cache ? ` (cache ${r.cache})` : ''}${r.error ? `: ${r.error}` : ''}`);
        },
      });
      const ok = reports.every((r) => r.state === 'succeeded' || r.state === 'cached');
      await publisher?.finish(ok);
      if (tracked) await reportRetrain(opts, pipeline, reports, ok);
      report(opts, reports);
      if (!ok) process.exitCode = 1;
    });

  registerExport(group);

  pipelineOptions(group.command('status').description('What `pipeline run` would do now, step by step, and why'))
    .action(async (opts: PipelineOptions) => {
      const { pipeline, root, lockFile } = load({ ...opts, force: [] });
      report(opts, await runPipeline({ root, pipeline, cache: new StepCache(path.join(root, '.openexpert', 'cache')), executor: localExecutor, lockFile, dryRun: true }));
    });
}

interface ExportOptions extends PipelineOptions {
  format: 'argo' | 'jobs';
  namespace: string;
  image: string;
  claim?: string;
}

function registerExport(group: Command): void {
  group.command('export')
    .description('Print the pipeline as an Argo Workflow, or as one Kubernetes Job per step (steps share the pipeline folder through a PersistentVolumeClaim)')
    .option('-f, --file <file>', 'the pipeline file', 'openexpert.pipeline.yaml')
    .option('--env <name>', 'apply this environment\'s overrides')
    .addOption(new Option('--format <format>', 'what to render').choices(['argo', 'jobs']).default('argo'))
    .option('--namespace <ns>', 'Kubernetes namespace', 'default')
    .option('--image <image>', 'image for steps that name none', 'python:3.11-slim')
    .option('--claim <name>', 'PersistentVolumeClaim holding the pipeline folder (default <pipeline>-workspace)')
    .action((opts: ExportOptions) => {
      const { pipeline } = load({ ...opts, force: [] });
      const k8s = { namespace: opts.namespace, image: opts.image, workspaceClaim: opts.claim ?? `${pipeline.name}-workspace` };
      if (opts.format === 'argo') {
        process.stdout.write(toYaml(renderArgoWorkflow(pipeline, k8s)));
        return;
      }
      const suffix = newHexId(3);
      process.stdout.write(pipeline.steps.map((s) => toYaml(renderJob(pipeline, s, k8s, suffix))).join('---\n'));
    });
}

function report(opts: { json?: boolean }, reports: readonly StepReport[]): void {
  if (opts.json) printJson(reports);
  else printReports(reports);
}
