import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { clientUrl } from '../config/config.js';
import { invalid } from '../core/errors.js';
import { artifactPathOf } from '../domain/artifacts/artifact-uri.js';
import { readColumns } from '../domain/monitoring/file-table.js';
import type { ModelCard } from '../domain/evaluation/model-card.js';
import type { Comparison, Estimate, Evaluation, EvaluationSummary } from '../domain/evaluation/types.js';
import { common, registryApi, type Common } from './models.command.js';
import { formatTime, printJson, printTable } from './output.js';

const enc = encodeURIComponent;
const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
const collect = (v: string, prev: string[]) => [...prev, v];

const estimate = (e: Estimate | undefined) => (!e ? '' : e.value === null ? `undefined: ${e.reason}` : Number(e.value.toPrecision(6)));
const interval = (e: Estimate | undefined) => (e?.ci ? `[${Number(e.ci.lower.toPrecision(4))}, ${Number(e.ci.upper.toPrecision(4))}]` : '');

interface EvaluateOptions extends Common {
  data?: string;
  dataset?: string;
  run?: string;
  model?: string;
  modelVersion?: string;
  task: string;
  label: string;
  prediction?: string;
  score?: string;
  classes?: string;
  positiveLabel?: string;
  threshold?: string;
  scoreKind?: string;
  queryId?: string;
  k?: string;
  slices?: string;
  sensitive?: string;
  privileged: string[];
  fairnessThreshold: string[];
  intersections: boolean;
  resamples?: string;
  seed?: string;
  confidence?: string;
  name?: string;
  metricPrefix?: string;
  log: boolean;
  config?: string;
  output?: string;
}

/** `sex=male` or `race=white,asian`, repeatable. */
function privilegedOf(flags: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of flags) {
    const m = /^([^=]+)=(.+)$/.exec(f);
    if (!m) throw invalid(`--privileged '${f}': write column=value[,value…]`);
    out[m[1]!.trim()] = [...(out[m[1]!.trim()] ?? []), ...list(m[2]!)];
  }
  return out;
}

/** `disparate_impact=0.8:1.25`, `demographic_parity_difference=:0.1`, `equal_opportunity_difference@fairlearn=:0.1`. */
function thresholdsOf(flags: readonly string[]) {
  return flags.map((f) => {
    const m = /^([a-z_]+)(?:@(fairlearn|aif360))?=(-?[\d.]*):(-?[\d.]*)$/.exec(f);
    if (!m || (m[3] === '' && m[4] === '')) throw invalid(`--fairness-threshold '${f}': write metric[@convention]=min:max, either bound may be empty`);
    return { metric: m[1]!, ...(m[2] ? { convention: m[2] } : {}), ...(m[3] ? { min: Number(m[3]) } : {}), ...(m[4] ? { max: Number(m[4]) } : {}) };
  });
}

const num = (v: string | undefined, flag: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw invalid(`${flag} '${v}' is not a number`);
  return n;
};

/** The request body from a config file (JSON or YAML) with the flags on top. */
function specOf(opts: EvaluateOptions): Record<string, unknown> {
  const config = opts.config ? (parseYaml(readFileSync(opts.config, 'utf8')) as Record<string, unknown>) : {};
  const scores = opts.score ? list(opts.score) : undefined;
  const bootstrap = { ...(config.bootstrap as object | undefined),
    ...(opts.resamples ? { resamples: num(opts.resamples, '--resamples') } : {}), ...(opts.seed ? { seed: num(opts.seed, '--seed') } : {}),
    ...(opts.confidence ? { confidence: num(opts.confidence, '--confidence') } : {}) };
  return {
    ...config,
    task: opts.task,
    label: opts.label,
    ...(opts.prediction ? { prediction: opts.prediction } : {}),
    ...(scores ? (opts.task === 'multiclass' ? { scores } : { score: scores[0] }) : {}),
    ...(opts.classes ? { classes: list(opts.classes) } : {}),
    ...(opts.positiveLabel ? { positiveLabel: opts.positiveLabel } : {}),
    ...(opts.threshold ? { threshold: num(opts.threshold, '--threshold') } : {}),
    ...(opts.scoreKind ? { scoreKind: opts.scoreKind } : {}),
    ...(opts.queryId ? { queryId: opts.queryId } : {}),
    ...(opts.k ? { k: list(opts.k).map((k) => num(k, '--k')) } : {}),
    ...(opts.slices ? { slices: list(opts.slices) } : {}),
    ...(opts.sensitive ? { sensitive: list(opts.sensitive) } : {}),
    ...(opts.privileged.length ? { privileged: privilegedOf(opts.privileged) } : {}),
    ...(opts.fairnessThreshold.length ? { fairnessThresholds: thresholdsOf(opts.fairnessThreshold) } : {}),
    ...(opts.intersections ? {} : { intersections: false }),
    ...(Object.keys(bootstrap).length ? { bootstrap } : {}),
  };
}

interface StagedData {
  readonly data: Record<string, unknown>;
  /** Takes back what this call uploaded (nothing when the same bytes were already there). */
  remove(): Promise<void>;
}

/**
 * The rows go to the server as a run artifact when there is a run (the evaluation data is kept with the
 * run as evidence), and inline otherwise. The file keeps its name under `evaluation-data/` unless another
 * file holds that name, which is never overwritten: an earlier evaluation's evidence stays as it was.
 */
async function stageData(opts: Common, file: string, runId: string | undefined, name: string | undefined): Promise<StagedData> {
  const named = name ? { name } : {};
  if (!runId) return { data: { columns: await readColumns(file), ...named }, remove: async () => {} };
  const api = registryApi(opts);
  const run = await api<{ info: { artifactUri: string } }>('GET', `/api/v1/runs/${enc(runId)}`);
  const bytes = readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const headers: Record<string, string> = opts.user ? { authorization: `Basic ${Buffer.from(`${opts.user}:`).toString('base64')}` } : {};
  const proxy = `${clientUrl(opts.url)}/api/2.0/mlflow-artifacts/artifacts`;
  const root = `${artifactPathOf(run.info.artifactUri)}/evaluation-data`;
  const urlOf = (relative: string) => `${proxy}/${`${artifactPathOf(run.info.artifactUri)}/${relative}`.split('/').map(enc).join('/')}`;
  const listed = await fetch(`${proxy}?path=${enc(root)}`, { headers });
  const present = new Map(listed.ok ? ((await listed.json()) as { files?: { path: string; file_size?: number }[] }).files?.map((f) => [f.path, f.file_size]) ?? [] : []);
  const ext = path.extname(file);
  for (const candidate of [path.basename(file), `${path.basename(file, ext)}-${sha256.slice(0, 12)}${ext}`]) {
    const relative = `evaluation-data/${candidate}`;
    if (present.has(candidate)) {
      if (present.get(candidate) !== bytes.length) continue;
      const there = await fetch(urlOf(relative), { headers });
      if (!there.ok || createHash('sha256').update(Buffer.from(await there.arrayBuffer())).digest('hex') !== sha256) continue;
      return { data: { artifactPath: relative, ...named }, remove: async () => {} };
    }
    const res = await fetch(urlOf(relative), { method: 'PUT', body: bytes, headers });
    if (!res.ok) throw invalid(`Uploading ${file} to the run's artifacts failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    return {
      data: { artifactPath: relative, ...named },
      remove: async () => {
        await fetch(urlOf(relative), { method: 'DELETE', headers });
      },
    };
  }
  throw invalid(`The run's evaluation-data/ already holds other files named like ${path.basename(file)}; rename the file`);
}

export function printEvaluation(e: Evaluation, url: string): void {
  console.log(`evaluation ${e.id}: ${e.task} on ${e.dataset.name} (${e.result.rows} rows)${e.model ? ` for ${e.model.name} v${e.model.version}` : ''}${e.runId ? `, logged to run ${e.runId}` : ''}\n`);
  printTable(Object.entries(e.result.metrics), [
    { header: 'METRIC', value: ([k]) => k },
    { header: 'VALUE', value: ([, v]) => estimate(v) },
    { header: e.result.bootstrap ? `${e.result.bootstrap.confidence * 100}% INTERVAL` : 'INTERVAL', value: ([, v]) => interval(v) },
  ]);
  const fairness = e.result.fairness;
  if (fairness) {
    console.log(`\nFairness: ${fairness.passed === false ? 'FAILED' : fairness.passed ? 'passed' : 'undecided'}`);
    printTable(fairness.attributes.flatMap((a) => a.checks.map((c) => ({ attribute: a.attribute, ...c }))), [
      { header: 'ATTRIBUTE', value: (c) => c.attribute },
      { header: 'CHECK', value: (c) => c.detail },
      { header: 'CONVENTION', value: (c) => c.convention },
      { header: 'RESULT', value: (c) => (c.passed === null ? 'undecided' : c.passed ? 'pass' : 'FAIL') },
    ]);
  }
  for (const note of e.result.notes) console.log(`note: ${note}`);
  console.log(`\nreport: ${url}/api/v1/evaluations/${e.id}/report.html`);
}

export function registerEvaluateCommand(program: Command): void {
  common(program.command('evaluate').description('Evaluate a predictions file (Parquet, CSV, JSON): metrics with intervals, slices, fairness; logged to the run'))
    .option('--data <file>', 'predictions table: label, prediction and/or score columns')
    .option('--dataset <name@version>', 'a registered dataset version instead of a file (linked in the lineage graph)')
    .option('--run <id>', 'log metrics, the evaluation input and the reports to this run')
    .option('--model <name>', 'registered model the predictions come from')
    .option('--model-version <n>', 'its version (the evaluation becomes promotion evidence and model card content)')
    .option('--task <task>', 'binary, multiclass, regression or ranking', 'binary')
    .requiredOption('--label <column>', 'true label (relevance for ranking)')
    .option('--prediction <column>', 'predicted label or value')
    .option('--score <columns>', 'P(positive) for binary, one probability column per class for multiclass (comma-separated), the ranking score')
    .option('--classes <list>', 'declared classes, comma-separated (multiclass: in the order of --score)')
    .option('--positive-label <label>', 'binary: the positive label (default: the greater label)')
    .option('--threshold <x>', 'binary: predict positive at score ≥ x (default 0.5)')
    .option('--score-kind <kind>', 'probability (default) or decision')
    .option('--query-id <column>', 'ranking: the query id')
    .option('--k <list>', 'ranking: cut-offs, e.g. 1,3,5,10')
    .option('--slices <columns>', 'metrics per value of these columns and their combinations')
    .option('--sensitive <columns>', 'fairness audit over these columns and their intersections')
    .option('--privileged <column=values>', 'privileged group of a sensitive column (repeatable), e.g. sex=male', collect, [])
    .option('--fairness-threshold <spec>', 'metric[@convention]=min:max (repeatable; default: four-fifths rule)', collect, [])
    .option('--no-intersections', 'audit single sensitive columns only')
    .option('--resamples <n>', 'bootstrap resamples (0 turns intervals off; default 1000)')
    .option('--seed <n>', 'bootstrap seed (default 0)')
    .option('--confidence <x>', 'interval level (default 0.95)')
    .option('--name <name>', 'name of the evaluation data, e.g. holdout')
    .option('--metric-prefix <prefix>', 'prefix of the metric keys logged to the run')
    .option('--no-log', 'store the evaluation without logging to the run')
    .option('--config <file>', 'JSON or YAML file with any of the options above in the API\'s names')
    .option('-o, --output <file>', 'also write the HTML report here')
    .action(async (opts: EvaluateOptions) => {
      const api = registryApi(opts);
      if ((opts.model === undefined) !== (opts.modelVersion === undefined)) throw invalid('--model and --model-version go together');
      if ((opts.data === undefined) === (opts.dataset === undefined)) throw invalid('give the predictions as --data <file> or --dataset <name@version>');
      const model = opts.model ? { name: opts.model, version: Number(opts.modelVersion) } : undefined;
      const runId = opts.run ?? (model ? (await api<{ runId?: string }>('GET', `/api/v1/models/${enc(model.name)}/versions/${model.version}`)).runId : undefined);
      if (process.stderr.isTTY && opts.data) process.stderr.write(runId ? 'uploading the data to the run…' : 'reading the data…');
      // The flags are read before anything is uploaded, so a typo leaves nothing behind.
      const spec = specOf(opts);
      const staged = opts.data ? await stageData(opts, opts.data, runId, opts.name) : { data: { dataset: opts.dataset!, ...(opts.name ? { name: opts.name } : {}) }, remove: async () => {} };
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[Kevaluating…');
      const body = {
        ...spec, data: staged.data, ...(opts.name ? { name: opts.name } : {}), ...(runId ? { runId } : {}), ...(model ? { model } : {}),
        ...(opts.metricPrefix ? { metricPrefix: opts.metricPrefix } : {}), ...(opts.log ? {} : { logToRun: false }),
      };
      // A refused evaluation takes its uploaded data back with it: the run keeps only what succeeded.
      const evaluation = await api<Evaluation>('POST', '/api/v1/evaluations', { body }).catch(async (err: unknown) => {
        await staged.remove();
        throw err;
      });
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      if (opts.output) {
        const html = await fetch(`${clientUrl(opts.url)}/api/v1/evaluations/${evaluation.id}/report.html`);
        writeFileSync(opts.output, await html.text());
      }
      if (opts.json) return printJson(evaluation);
      printEvaluation(evaluation, clientUrl(opts.url));
      if (opts.output) console.log(`report written to ${opts.output}`);
    });

  const group = program.command('evaluations').description('Stored evaluations and model comparisons');
  common(group.command('list').description('List evaluations, newest first'))
    .option('--run <id>', 'of this run')
    .option('--model <name>', 'of this registered model')
    .option('--model-version <n>', 'of this version')
    .option('--dataset <name>', 'on this data (name or sha256)')
    .option('--max-results <n>', 'at most this many', '50')
    .action(async (opts: Common & { run?: string; model?: string; modelVersion?: string; dataset?: string; maxResults: string }) => {
      const page = await registryApi(opts)<{ items: EvaluationSummary[] }>('GET', '/api/v1/evaluations', {
        query: { runId: opts.run, model: opts.model, version: opts.modelVersion, dataset: opts.dataset, maxResults: opts.maxResults },
      });
      if (opts.json) return printJson(page.items);
      const headline = (m: Record<string, number>) => ['roc_auc', 'roc_auc_ovr_macro', 'accuracy_score', 'root_mean_squared_error', 'ndcg_at_10', 'ndcg_at_5']
        .filter((k) => k in m).slice(0, 2).map((k) => `${k}=${Number(m[k]!.toPrecision(4))}`).join(' ');
      printTable(page.items, [
        { header: 'ID', value: (e) => e.id },
        { header: 'NAME', value: (e) => e.name },
        { header: 'TASK', value: (e) => e.task },
        { header: 'MODEL', value: (e) => (e.model ? `${e.model.name} v${e.model.version}` : '') },
        { header: 'RUN', value: (e) => e.runId },
        { header: 'ROWS', value: (e) => e.dataset.rows },
        { header: 'METRICS', value: (e) => headline(e.metrics) },
        { header: 'CREATED', value: (e) => formatTime(e.createdAt) },
      ]);
    });

  common(group.command('show <id>').description('Show an evaluation'))
    .option('-o, --output <file>', 'write the HTML report here')
    .action(async (id: string, opts: Common & { output?: string }) => {
      const evaluation = await registryApi(opts)<Evaluation>('GET', `/api/v1/evaluations/${enc(id)}`);
      if (opts.output) writeFileSync(opts.output, await (await fetch(`${clientUrl(opts.url)}/api/v1/evaluations/${enc(id)}/report.html`)).text());
      if (opts.json) return printJson(evaluation);
      printEvaluation(evaluation, clientUrl(opts.url));
    });

  common(group.command('compare').description('Compare two models on the same predictions file: paired bootstrap deltas and McNemar\'s test'))
    .requiredOption('--data <file>', 'predictions of both models, one row per example')
    .option('--task <task>', 'binary, multiclass, regression or ranking', 'binary')
    .requiredOption('--label <column>', 'true label')
    .option('--prediction <column>', "the candidate's predicted label or value")
    .option('--score <columns>', "the candidate's score column(s)")
    .option('--baseline-prediction <column>', "the baseline's predicted label or value")
    .option('--baseline-score <columns>', "the baseline's score column(s)")
    .option('--model <name>', 'registered model of both versions')
    .option('--model-version <n>', 'the candidate version')
    .option('--baseline-version <n>', 'the baseline version (e.g. the champion)')
    .option('--classes <list>', 'declared classes, comma-separated')
    .option('--query-id <column>', 'ranking: the query id')
    .option('--resamples <n>', 'bootstrap resamples (default 1000)')
    .option('--seed <n>', 'bootstrap seed')
    .option('--name <name>', 'name of the data')
    .action(async (opts: EvaluateOptions & { baselinePrediction?: string; baselineScore?: string; baselineVersion?: string }) => {
      const ref = (v: string | undefined) => (opts.model && v ? { name: opts.model, version: Number(v) } : undefined);
      const candidate = ref(opts.modelVersion);
      const baseline = ref(opts.baselineVersion);
      const baselineScores = opts.baselineScore ? list(opts.baselineScore) : undefined;
      const body = {
        ...specOf({ ...opts, privileged: [], fairnessThreshold: [], intersections: true }),
        data: { columns: await readColumns(opts.data!), ...(opts.name ? { name: opts.name } : {}) },
        ...(opts.name ? { name: opts.name } : {}), ...(candidate ? { candidate } : {}), ...(baseline ? { baseline } : {}),
        baselineColumns: {
          ...(opts.baselinePrediction ? { prediction: opts.baselinePrediction } : {}),
          ...(baselineScores ? (opts.task === 'multiclass' ? { scores: baselineScores } : { score: baselineScores[0] }) : {}),
        },
      };
      const c = await registryApi(opts)<Comparison>('POST', '/api/v1/comparisons', { body });
      if (opts.json) return printJson(c);
      console.log(`comparison ${c.id} on ${c.dataset.name} (${c.result.rows} rows): candidate − baseline\n`);
      printTable(c.result.deltas, [
        { header: 'METRIC', value: (d) => d.metric },
        { header: 'CANDIDATE', value: (d) => estimate(d.candidate) },
        { header: 'BASELINE', value: (d) => estimate(d.baseline) },
        { header: 'DELTA', value: (d) => estimate(d.delta) },
        { header: 'INTERVAL', value: (d) => interval(d.delta) },
        { header: 'P', value: (d) => (d.pValue === null ? '' : Number(d.pValue.toPrecision(3))) },
        { header: 'BETTER', value: (d) => (d.higherIsBetter ? 'higher' : 'lower') },
      ]);
      if (c.result.mcnemar) console.log(`\nMcNemar: candidate alone right ${c.result.mcnemar.candidateOnlyCorrect}, baseline alone right ${c.result.mcnemar.baselineOnlyCorrect}, exact p = ${Number(c.result.mcnemar.exactPValue.toPrecision(3))}`);
    });
}

/** `openexpert models card <name> <version>`: added to the registry's `models` group. */
export function registerModelCardCommand(program: Command): void {
  const models = program.commands.find((c) => c.name() === 'models') ?? program.command('models');
  common(models.command('card <name> <version>').description('The model card of a version, written from its evidence; --set fills the human-written sections'))
    .option('--format <format>', 'markdown (default), html or json', 'markdown')
    .option('-o, --output <file>', 'write it here instead of printing')
    .option('--set <field=text>', 'set a human-written field (repeatable), e.g. primaryUses="Churn risk for retention offers"; empty text clears it', collect, [])
    .action(async (name: string, version: string, opts: Common & { format: string; output?: string; set: string[] }) => {
      if (!['markdown', 'html', 'json'].includes(opts.format)) throw invalid(`--format '${opts.format}': use markdown, html or json`);
      const path = `/api/v1/models/${enc(name)}/versions/${enc(version)}/card`;
      if (opts.set.length) {
        const fields = Object.fromEntries(opts.set.map((s) => {
          const at = s.indexOf('=');
          if (at <= 0) throw invalid(`--set '${s}': write field=text`);
          return [s.slice(0, at), s.slice(at + 1)];
        }));
        await registryApi(opts)<ModelCard>('PATCH', path, { body: fields });
      }
      const format = opts.json ? 'json' : opts.format;
      const headers: Record<string, string> = opts.user ? { authorization: `Basic ${Buffer.from(`${opts.user}:`).toString('base64')}` } : {};
      const res = await fetch(`${clientUrl(opts.url)}${path}?format=${format}`, { headers });
      const text = await res.text();
      if (!res.ok) {
        const message = (() => { try { return (JSON.parse(text) as { error: { message: string } }).error.message; } catch { return text.slice(0, 200); } })();
        throw new Error(message);
      }
      if (opts.output) {
        writeFileSync(opts.output, text);
        console.log(`model card written to ${opts.output}`);
      } else console.log(format === 'json' ? JSON.stringify(JSON.parse(text), null, 2) : text);
    });
}
