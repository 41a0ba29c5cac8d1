import type { Command } from 'commander';
import { invalid } from '../core/errors.js';
import type { Explanation, ExplanationSummary } from '../domain/explain/types.js';
import { readColumns } from '../domain/monitoring/file-table.js';
import { common, registryApi, type Common } from './models.command.js';
import { formatTime, printJson, printTable } from './output.js';

interface ExplainOptions extends Common {
  data: string;
  label?: string;
  methods?: string;
  features?: string;
  output?: string;
  targetClass?: string;
  metric?: string;
  repeats?: string;
  confidence?: string;
  seed?: string;
  rows?: string;
  background?: string;
  budget?: string;
  grid?: string;
  pdFeatures?: string;
  name?: string;
}

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
const int = (v: string | undefined, flag: string) => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw invalid(`${flag} '${v}' is not a whole number`);
  return Number(v);
};
const fmt = (v: number) => Number(v.toPrecision(4));

/** `churn@champion` or `churn@3`. */
function modelRef(ref: string): { model: string; version: number | string } {
  const at = ref.lastIndexOf('@');
  if (at <= 0 || at === ref.length - 1) throw invalid(`'${ref}': write <model>@<version> or <model>@<alias>`);
  const suffix = ref.slice(at + 1);
  return { model: ref.slice(0, at), version: /^\d+$/.test(suffix) ? Number(suffix) : suffix };
}

/** Global importance, strongest first: each method's measure side by side. */
export function printExplanation(e: Explanation): void {
  const r = e.result;
  const shap = r.treeShap ?? r.kernelShap;
  const perm = new Map(r.permutation?.importances.map((i) => [i.feature, i]));
  const kernel = new Map(r.kernelShap?.global.map((g) => [g.feature, g.meanAbs]));
  const tree = new Map(r.treeShap?.global.map((g) => [g.feature, g.meanAbs]));
  const rank = (f: string) => (shap ? (tree.get(f) ?? kernel.get(f) ?? 0) : (perm.get(f)?.mean ?? 0));
  const features = [...r.features].sort((a, b) => rank(b) - rank(a));
  const output = r.output.class !== undefined ? `P(class ${r.output.class}) from '${r.output.name}'` : `'${r.output.name}'`;
  console.log(`explanation ${e.id} of ${e.model.name} version ${e.model.version}: ${output} on ${r.dataRows} rows`);
  printTable(features, [
    { header: 'feature', value: (f) => f },
    ...(r.treeShap ? [{ header: 'TreeSHAP mean|φ|', value: (f: string) => fmt(tree.get(f)!) }] : []),
    ...(r.kernelShap ? [{ header: 'Kernel SHAP mean|φ|', value: (f: string) => fmt(kernel.get(f)!) }] : []),
    ...(r.permutation
      ? [{ header: `permutation (${r.permutation.metric} drop)`, value: (f: string) => { const p = perm.get(f)!; return `${fmt(p.mean)} ± ${fmt(p.std)}`; } },
        { header: `${Math.round(r.permutation.confidence * 100)}% CI`, value: (f: string) => { const p = perm.get(f)!; return `[${fmt(p.ci.lower)}, ${fmt(p.ci.upper)}]`; } }]
      : []),
  ]);
  if (shap) console.log(`expected value ${fmt(shap.expectedValue)}; attributions add up to within ${shap.additivityError.toExponential(1)}`);
  if (r.kernelShap) console.log(`Kernel SHAP: ${r.kernelShap.exact ? 'exact, every' : 'sampled'} ${r.kernelShap.coalitions} coalitions, ${r.kernelShap.backgroundRows} background rows`);
  for (const pd of r.partialDependence ?? []) {
    console.log(`partial dependence of ${pd.feature}: ${fmt(pd.average[0]!)} at ${fmt(pd.grid[0]!)} … ${fmt(pd.average.at(-1)!)} at ${fmt(pd.grid.at(-1)!)}`);
  }
  for (const note of r.notes) console.log(`note: ${note}`);
}

export function registerExplainCommand(program: Command): void {
  common(program.command('explain <model>').description('Explain a model version on data: permutation importance, Kernel SHAP, TreeSHAP (ONNX tree ensembles), partial dependence'))
    .requiredOption('--data <file>', 'rows to explain: Parquet, CSV or JSON, one column per model feature')
    .option('--label <column>', 'the true target, for permutation importance')
    .option('--methods <list>', 'permutation, kernel_shap, tree_shap, partial_dependence (default: all that apply)')
    .option('--features <columns>', "the model's features in input order (default: every column but the label)")
    .option('--output <name>', 'the model output to explain (default: the last numeric one)')
    .option('--target-class <class>', 'for a classifier, the class whose probability is explained')
    .option('--metric <name>', 'permutation importance metric: r2, mse, mae, roc_auc, accuracy, log_loss')
    .option('--repeats <n>', 'shuffles per feature (default 5)')
    .option('--confidence <x>', 'interval level (default 0.95)')
    .option('--seed <n>', 'seed of every random draw (default 0)')
    .option('--rows <n>', 'rows explained one by one (default 20)')
    .option('--background <n>', 'Kernel SHAP background rows (default 50)')
    .option('--budget <n>', 'Kernel SHAP coalitions per row (default 2048; exact when all fit)')
    .option('--grid <n>', 'partial dependence grid points (default 20)')
    .option('--pd-features <columns>', 'features to compute partial dependence for (default: the five most important)')
    .option('--name <name>', 'name of the data (default: the file name)')
    .action(async (ref: string, opts: ExplainOptions) => {
      const api = registryApi(opts);
      const target = modelRef(ref);
      if (process.stderr.isTTY) process.stderr.write('reading the data…');
      const columns = await readColumns(opts.data);
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[Kexplaining (the model runs on the server)…');
      const confidence = opts.confidence === undefined ? undefined : Number(opts.confidence);
      const body = {
        ...target, data: { columns, name: opts.name ?? opts.data.split(/[\\/]/).pop()! },
        ...(opts.methods ? { methods: list(opts.methods) } : {}), ...(opts.features ? { features: list(opts.features) } : {}),
        ...(opts.label ? { label: opts.label } : {}), ...(opts.output ? { output: opts.output } : {}),
        ...(opts.targetClass ? { targetClass: opts.targetClass } : {}), ...(opts.metric ? { metric: opts.metric } : {}),
        ...(confidence !== undefined ? { confidence } : {}), ...(opts.pdFeatures ? { pdFeatures: list(opts.pdFeatures) } : {}),
        ...Object.fromEntries(([['repeats', opts.repeats, '--repeats'], ['seed', opts.seed, '--seed'], ['rows', opts.rows, '--rows'], ['background', opts.background, '--background'],
          ['budget', opts.budget, '--budget'], ['gridResolution', opts.grid, '--grid']] as const).filter(([, v]) => v !== undefined).map(([k, v, flag]) => [k, int(v, flag)])),
      };
      const explanation = await api<Explanation>('POST', '/api/v1/explanations', { body }).finally(() => {
        if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      });
      if (opts.json) return printJson(explanation);
      printExplanation(explanation);
    });

  const group = program.command('explanations').description('Stored explanations of model versions');
  common(group.command('list <model>').description("A model's explanations, newest first"))
    .option('--version <n>', 'of this version')
    .action(async (model: string, opts: Common & { version?: string }) => {
      const api = registryApi(opts);
      const query = new URLSearchParams({ model, ...(opts.version ? { version: opts.version } : {}) });
      const page = await api<{ items: ExplanationSummary[] }>('GET', `/api/v1/explanations?${query}`);
      if (opts.json) return printJson(page);
      printTable(page.items, [
        { header: 'id', value: (e) => e.id },
        { header: 'version', value: (e) => e.model.version },
        { header: 'data', value: (e) => e.dataName },
        { header: 'methods', value: (e) => e.methods.join(',') },
        { header: 'by', value: (e) => e.createdBy },
        { header: 'created', value: (e) => formatTime(e.createdAt) },
      ]);
    });
  common(group.command('get <id>').description('One explanation'))
    .action(async (id: string, opts: Common) => {
      const explanation = await registryApi(opts)<Explanation>('GET', `/api/v1/explanations/${encodeURIComponent(id)}`);
      if (opts.json) return printJson(explanation);
      printExplanation(explanation);
    });
}
