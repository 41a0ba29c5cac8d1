import fs from 'node:fs';
import type { Command } from 'commander';
import { clientUrl } from '../config/config.js';
import { DEFAULT_ANALYSIS } from '../domain/serving/types.js';
import { HttpClient, OpenExpertError } from '../sdk/http.js';
import { formatTime, printJson, printTable } from './output.js';
import { cliToken } from './credentials.js';

interface Common {
  url?: string;
  json?: boolean;
}

/** The deployment as the server returns it (`/api/v1/deployments/:name`). */
interface DeploymentView {
  name: string;
  modelName: string;
  target: string;
  status: string;
  candidateWeight: number;
  stable: { version: string; runtime: { kind: string } };
  rollout?: { candidate: { version: string }; strategy: string; steps: number[]; stepIndex: number; intervalMs: number; phase: string };
  previous?: { version: string };
  updatedAt: number;
  endpoints: { v2: string; invocations: string };
  features?: { features: string[]; entityKeys: string[]; onStale: string };
}

interface EventView {
  time: number;
  kind: string;
  actor: string;
  fromVersion?: string;
  toVersion?: string;
  weight?: number;
  reason?: string;
}

const api = (opts: Common) => new HttpClient(clientUrl(opts.url), cliToken(clientUrl(opts.url)), fetch, { attempts: 1 });
const enc = encodeURIComponent;
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

const columns = [
  { header: 'NAME', value: (d: DeploymentView) => d.name },
  { header: 'MODEL', value: (d: DeploymentView) => d.modelName },
  { header: 'STABLE', value: (d: DeploymentView) => d.stable.version },
  { header: 'CANDIDATE', value: (d: DeploymentView) => d.rollout?.candidate.version },
  { header: 'STRATEGY', value: (d: DeploymentView) => d.rollout?.strategy },
  { header: 'STEP', value: (d: DeploymentView) => (d.rollout ? `${d.rollout.stepIndex + 1}/${d.rollout.steps.length}` : undefined) },
  { header: 'WEIGHT%', value: (d: DeploymentView) => (d.rollout ? d.candidateWeight : undefined) },
  { header: 'STATUS', value: (d: DeploymentView) => d.status },
  { header: 'UPDATED', value: (d: DeploymentView) => formatTime(d.updatedAt) },
];

const eventColumns = [
  { header: 'TIME', value: (e: EventView) => formatTime(e.time) },
  { header: 'EVENT', value: (e: EventView) => e.kind },
  { header: 'FROM', value: (e: EventView) => e.fromVersion },
  { header: 'TO', value: (e: EventView) => e.toVersion },
  { header: 'WEIGHT%', value: (e: EventView) => e.weight },
  { header: 'BY', value: (e: EventView) => e.actor },
  { header: 'REASON', value: (e: EventView) => e.reason },
];

function show(d: DeploymentView, json: boolean | undefined): void {
  if (json) return printJson(d);
  printTable([d], columns);
}

const selector = (o: { version?: string; alias?: string; stage?: string }) => ({
  ...(o.version ? { version: o.version } : {}), ...(o.alias ? { alias: o.alias } : {}), ...(o.stage ? { stage: o.stage } : {}),
});

const NUMERIC_ANALYSIS = [
  'minRequests', 'maxErrorRateIncrease', 'maxErrorRate', 'maxLatencyRatio', 'latencySlackMs', 'minLatencyRequests', 'latencyConfidence',
  'maxP99Ms', 'maxMismatchRate', 'absTolerance', 'relTolerance',
] as const;
type AnalysisFlags = { [K in (typeof NUMERIC_ANALYSIS)[number]]?: string } & { compare?: string };

/** The rollout's analysis thresholds given as flags; the server checks them and fills in the rest with its defaults. */
function analysisFrom(o: AnalysisFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of NUMERIC_ANALYSIS) if (o[key] !== undefined) out[key] = Number(o[key]);
  if (o.compare !== undefined) out.compare = o.compare;
  return out;
}

/** `openexpert deploy`, `deployments …`, `predict` and `loadtest`. */
export function registerDeploymentsCommand(program: Command): void {
  program
    .command('deploy <model>')
    .description('Serve a registry model version; when the deployment exists, roll the version out to it')
    .option('--url <url>', 'server URL')
    .option('--name <name>', 'deployment name (default: the model name)')
    .option('--version <n>', 'model version')
    .option('--alias <alias>', 'the version this alias points at (e.g. champion)')
    .option('--stage <stage>', 'the newest version in this stage (Staging, Production)')
    .option('--target <target>', 'alias or stage every served version must hold (default: the alias or stage given)')
    .option('--strategy <strategy>', 'canary, shadow or blue-green (rollouts)', 'canary')
    .option('--steps <list>', 'traffic percentages per step, e.g. 10,50,100')
    .option('--interval <duration>', 'time per step, e.g. 30s, 5m', '5m')
    .option('--min-requests <n>', `requests each side needs before a verdict (default ${DEFAULT_ANALYSIS.minRequests})`)
    .option('--max-error-rate-increase <x>', `allowed error-rate increase over the baseline, 0–1 (default ${DEFAULT_ANALYSIS.maxErrorRateIncrease})`)
    .option('--max-error-rate <x>', 'absolute error-rate limit for the candidate, 0–1 (default: none)')
    .option('--max-latency-ratio <x>', `candidate p99 may be at most baseline p99 × this + slack (default ${DEFAULT_ANALYSIS.maxLatencyRatio})`)
    .option('--latency-slack-ms <ms>', `added to the latency limit (default ${DEFAULT_ANALYSIS.latencySlackMs})`)
    .option('--min-latency-requests <n>', `successful requests each side needs in the same window before latency is judged (default ${DEFAULT_ANALYSIS.minLatencyRequests})`)
    .option('--latency-confidence <x>', `share of bootstrap resamples that must break the latency limit to fail (default ${DEFAULT_ANALYSIS.latencyConfidence})`)
    .option('--max-p99-ms <ms>', 'absolute p99 latency limit for the candidate (default: none)')
    .option('--max-mismatch-rate <x>', `shadow: share of mirrored requests whose outputs may differ, 0–1 (default ${DEFAULT_ANALYSIS.maxMismatchRate})`)
    .option('--compare <how>', `shadow: values (within tolerances) or labels (same predicted class per row) (default ${DEFAULT_ANALYSIS.compare})`)
    .option('--abs-tolerance <x>', `shadow, values: absolute tolerance (default ${DEFAULT_ANALYSIS.absTolerance})`)
    .option('--rel-tolerance <x>', `shadow, values: tolerance relative to the stable output (default ${DEFAULT_ANALYSIS.relTolerance})`)
    .option('--external <url>', 'forward to this HTTP model server instead of running the model here')
    .option('--protocol <protocol>', 'external server protocol: v2 or mlflow', 'v2')
    .option('--allow-unready', 'accept an external server that does not answer yet (it serves once it does)')
    .option('--sample-rate <x>', 'share of predictions to log (new deployments)')
    .option('--project <name>', 'the project a new deployment goes in (default: the default project)')
    .option('--features <list>', 'new deployments: fetch these features (view:feature, comma-separated, the model\'s input columns in order) from the online store for requests that carry only join keys')
    .option('--entity-keys <list>', 'with --features: the join keys requests carry (default: those of the features\' entities)')
    .option('--on-stale <what>', 'with --features: refuse a value older than its TTL, or warn (score it and say so in a header)', 'refuse')
    .option('--json', 'print JSON')
    .action(async (model: string, o: Common & {
      features?: string; entityKeys?: string; onStale: string;
      name?: string; version?: string; alias?: string; stage?: string; target?: string; strategy: string; steps?: string; interval: string;
      external?: string; protocol: string; sampleRate?: string; allowUnready?: boolean; project?: string;
    } & AnalysisFlags) => {
      const http = api(o);
      const name = o.name ?? model;
      const runtime = o.external ? { runtime: { kind: 'external', url: o.external, protocol: o.protocol }, ...(o.allowUnready ? { allowUnready: true } : {}) } : {};
      let existing: DeploymentView | undefined;
      try {
        existing = await http.request<DeploymentView>('GET', `/api/v1/deployments/${enc(name)}`);
      } catch (err) {
        if (!(err instanceof OpenExpertError && err.status === 404)) throw err;
      }
      if (!existing) {
        const created = await http.request<DeploymentView>('POST', '/api/v1/deployments', {
          body: {
            name, model, ...selector(o), ...(o.target ? { target: o.target } : {}), ...runtime,
            ...(o.sampleRate ? { logging: { sampleRate: Number(o.sampleRate) } } : {}), ...(o.project ? { project: o.project } : {}),
            ...(o.features ? { features: { features: list(o.features), onStale: o.onStale, ...(o.entityKeys ? { entityKeys: list(o.entityKeys) } : {}) } } : {}),
          },
        });
        if (o.json) return printJson(created);
        console.log(`Deployed ${model} version ${created.stable.version} as '${created.name}': POST ${created.endpoints.v2} or ${created.endpoints.invocations}`);
        if (created.features) console.log(`It fetches ${created.features.features.length} feature(s) from the online store: send only ${created.features.entityKeys.join(', ')}`);
        return;
      }
      const analysis = analysisFrom(o);
      const started = await http.request<DeploymentView>('POST', `/api/v1/deployments/${enc(name)}/rollouts`, {
        body: {
          ...selector(o), strategy: o.strategy, interval: o.interval, ...runtime,
          ...(o.steps ? { steps: o.steps.split(',').map((s) => Number(s.trim())) } : {}),
          ...(Object.keys(analysis).length > 0 ? { analysis } : {}),
        },
      });
      if (o.json) return printJson(started);
      const r = started.rollout!;
      console.log(`Rolling out version ${r.candidate.version} to '${name}' (${r.strategy}, steps ${r.steps.join(' → ')}%, ${o.interval} each); stable is version ${started.stable.version}`);
    });

  const deployments = program.command('deployments').description('Deployments and their rollouts');

  deployments
    .command('list')
    .description('List deployments')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (o: Common) => {
      const { items } = await api(o).request<{ items: DeploymentView[] }>('GET', '/api/v1/deployments');
      if (o.json) printJson(items);
      else printTable(items, columns);
    });

  deployments
    .command('status <name>')
    .description('Show a deployment, the live analysis of its rollout and its recent events')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (name: string, o: Common) => {
      const http = api(o);
      const d = await http.request<DeploymentView>('GET', `/api/v1/deployments/${enc(name)}`);
      const analysis = d.rollout ? await http.request<{ status: string; checks: { name: string; passed: boolean; message: string }[] }>('GET', `/api/v1/deployments/${enc(name)}/analysis`) : undefined;
      const { items: events } = await http.request<{ items: EventView[] }>('GET', `/api/v1/deployments/${enc(name)}/events`, { query: { limit: 10 } });
      if (o.json) return printJson({ deployment: d, analysis, events });
      printTable([d], columns);
      if (analysis) {
        console.log(`\nAnalysis: ${analysis.status}`);
        for (const c of analysis.checks) console.log(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}`);
      }
      console.log('');
      printTable(events, eventColumns);
    });

  for (const [verb, help] of [
    ['promote', 'Make the candidate the stable version now'],
    ['pause', 'Hold the rollout at its current step'],
    ['resume', 'Continue a paused rollout'],
    ['abort', 'Stop the rollout; all traffic back to the stable version'],
    ['rollback', 'Drop the candidate, or go back to the version before the last promotion'],
  ] as const) {
    deployments
      .command(`${verb} <name>`)
      .description(help)
      .option('--url <url>', 'server URL')
      .option('--reason <text>', 'recorded in the deployment history')
      .option('--json', 'print JSON')
      .action(async (name: string, o: Common & { reason?: string }) => {
        const d = await api(o).request<DeploymentView>('POST', `/api/v1/deployments/${enc(name)}/${verb}`, { body: o.reason ? { reason: o.reason } : {} });
        show(d, o.json);
      });
  }

  deployments
    .command('events <name>')
    .description('The history of a deployment')
    .option('--url <url>', 'server URL')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(async (name: string, o: Common & { limit: string }) => {
      const { items } = await api(o).request<{ items: EventView[] }>('GET', `/api/v1/deployments/${enc(name)}/events`, { query: { limit: o.limit } });
      if (o.json) printJson(items);
      else printTable(items, eventColumns);
    });

  deployments
    .command('runbook <name>')
    .description('The rollback runbook: what is live, what a rollback returns to, and the commands')
    .option('--url <url>', 'server URL')
    .action(async (name: string, o: Common) => {
      const res = await fetch(`${clientUrl(o.url)}/api/v1/deployments/${enc(name)}/runbook`);
      const text = await res.text();
      if (!res.ok) throw new Error(text);
      process.stdout.write(text);
    });

  deployments
    .command('delete <name>')
    .description('Stop serving and delete the deployment (its history stays)')
    .option('--url <url>', 'server URL')
    .action(async (name: string, o: Common) => {
      await api(o).request('DELETE', `/api/v1/deployments/${enc(name)}`);
      console.log(`Deleted deployment ${name}`);
    });

  program
    .command('predict <deployment>')
    .description("Send one request: an MLflow scoring body ({\"inputs\": …}, dataframe_split, …) or an Open Inference Protocol v2 body")
    .option('--url <url>', 'server URL')
    .option('--data <json>', 'the request body')
    .option('--file <path>', 'read the request body from this file')
    .option('--json', 'print the whole response as JSON')
    .action(async (name: string, o: Common & { data?: string; file?: string }) => {
      const raw = o.data ?? (o.file ? fs.readFileSync(o.file, 'utf8') : undefined);
      if (raw === undefined) throw new Error('Give the request body with --data or --file');
      const body = JSON.parse(raw) as { inputs?: unknown };
      const isV2 = Array.isArray(body.inputs) && body.inputs.every((t) => typeof t === 'object' && t !== null && 'datatype' in t);
      const path = isV2 ? `/v2/models/${enc(name)}/infer` : `/serve/${enc(name)}/invocations`;
      const res = await fetch(clientUrl(o.url) + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
      const reply = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${res.status}: ${JSON.stringify(reply)}`);
      if (o.json || isV2) printJson(reply);
      else printJson(reply.predictions);
      const id = res.headers.get('x-prediction-id');
      if (id && !o.json) console.error(`prediction id ${id}`);
    });

  program
    .command('loadtest <endpoint>')
    .description('Throughput and tail latency of a deployment (or any URL): give a deployment name, or a full infer URL with --body')
    .option('--url <url>', 'server URL')
    .option('--rps <n>', 'target requests per second (default: as fast as it goes)')
    .option('--duration <seconds>', 'how long', '10')
    .option('--concurrency <n>', 'connections', '16')
    .option('--body <path>', 'request body file (default for a deployment: one row of zeros per model input)')
    .option('--no-record', 'do not store the result on the model version')
    .option('--json', 'print JSON')
    .action(async (endpoint: string, o: Common & { rps?: string; duration: string; concurrency: string; body?: string; record: boolean }) => {
      const base = clientUrl(o.url);
      const isUrl = /^https?:\/\//.test(endpoint);
      const url = isUrl ? endpoint : `${base}/v2/models/${enc(endpoint)}/infer`;
      let body = o.body ? fs.readFileSync(o.body, 'utf8') : undefined;
      if (!body) {
        if (isUrl) throw new Error('Give --body for a URL endpoint');
        const meta = await api(o).request<{ inputs: { name: string; datatype: string; shape: number[] }[] }>('GET', `/v2/models/${enc(endpoint)}`);
        body = JSON.stringify({
          inputs: meta.inputs.map((t) => {
            const shape = t.shape.map((d) => (d < 0 ? 1 : d));
            const n = shape.reduce((a, b) => a * b, 1);
            return { name: t.name, datatype: t.datatype, shape, data: new Array(n).fill(t.datatype === 'BOOL' ? false : t.datatype === 'BYTES' ? '' : 0) };
          }),
        });
      }
      const durationS = Number(o.duration);
      const connections = Number(o.concurrency);
      const { runLoadTest } = await import('./load-test.js');
      const summary = await runLoadTest({ url, body, connections, durationS, ...(o.rps ? { rps: Number(o.rps) } : {}) });
      const result = { endpoint: url, connections, durationS, ...(o.rps ? { targetRps: Number(o.rps) } : {}), ...summary };
      let recorded: unknown;
      if (!isUrl && o.record) recorded = await api(o).request('POST', `/api/v1/deployments/${enc(endpoint)}/load-tests`, { body: result });
      if (o.json) return printJson(recorded ?? result);
      console.log(`${summary.requests} requests in ${durationS} s over ${connections} connections: ${summary.throughputRps} req/s`);
      console.log(`latency ms: p50 ${summary.latencyMs.p50}  p90 ${summary.latencyMs.p90}  p99 ${summary.latencyMs.p99}  max ${summary.latencyMs.max}`);
      console.log(`errors ${summary.errors}, non-2xx ${summary.non2xx}${recorded ? ' (stored on the model version as load-test evidence)' : ''}`);
    });
}
