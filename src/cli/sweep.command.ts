import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { invalid } from '../core/errors.js';
import type { SweepDetail, Trial } from '../domain/sweeps/types.js';
import { Sweeps } from '../sdk/sweeps.js';
import type { Common } from './models.command.js';
import { formatNumber, formatTime, printJson, printTable } from './output.js';
import { holdLease, runSweep, stopLeftovers } from './sweep-runner.js';
import { apiOf, experimentIdOf } from './tracked-run.js';

interface RunOptions extends Common {
  config: string;
  experiment?: string;
  name?: string;
  trials?: string;
  parallel: string;
  pollMs: string;
}

const positive = (v: string | undefined, what: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw invalid(`${what} must be a positive integer, got '${v}'`);
  return n;
};

const withCommon = (cmd: Command) => cmd
  .option('--url <url>', 'server URL (default $OPENEXPERT_URL, $MLFLOW_TRACKING_URI or http://127.0.0.1:5000)')
  .addOption(new Option('--user <name>', 'act as this user (auth off)').env('OPENEXPERT_USER'));
const withSlots = (cmd: Command) => cmd
  .option('-p, --parallel <n>', 'trials running at once on this machine', '1')
  .option('--poll-ms <ms>', 'how often running trials are judged by the early-stopping rule', '500');

/** sweep.yaml: the sweep's config, plus where it goes (name, experiment) and how many trials; flags win. */
function readConfigFile(file: string): { name?: string; experiment?: string; trials?: number; config: Record<string, unknown> } {
  let doc: unknown;
  try {
    doc = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalid(`Cannot read sweep config '${file}': ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(`Sweep config '${file}' must be a mapping (method, metric, parameters…)`);
  const { name, experiment, trials, ...config } = doc as Record<string, unknown>;
  if (name !== undefined && typeof name !== 'string') throw invalid(`${file}: name must be a string`);
  if (experiment !== undefined && typeof experiment !== 'string') throw invalid(`${file}: experiment must be a string`);
  if (trials !== undefined && (typeof trials !== 'number' || !Number.isInteger(trials) || trials < 1)) throw invalid(`${file}: trials must be a positive integer`);
  return { ...(name ? { name } : {}), ...(experiment ? { experiment } : {}), ...(trials ? { trials } : {}), config };
}

const paramsText = (t: Trial) => Object.entries(t.params).map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : String(v)}`).join(' ');

function printSweep(s: SweepDetail): void {
  const c = s.counts;
  console.log(`sweep ${s.id} '${s.name}' (${s.config.method}, ${s.config.metric.goal} ${s.config.metric.name}) ${s.state}: ${s.trials.length}/${s.maxTrials} trials; `
    + `${c.COMPLETE} complete, ${c.PRUNED} stopped early, ${c.FAILED} failed, ${c.RUNNING} running, ${c.INTERRUPTED} interrupted; parent run ${s.parentRunId}`);
  printTable(s.trials, [
    { header: 'TRIAL', value: (t) => t.number },
    { header: 'STATE', value: (t) => t.state },
    { header: s.config.metric.name.toUpperCase(), value: (t) => t.value },
    { header: 'STEP', value: (t) => t.step },
    { header: 'RUN ID', value: (t) => t.runId },
    { header: 'PARAMS', value: paramsText },
    { header: 'NOTE', value: (t) => (t.state === 'COMPLETE' ? (t.number === s.best?.number ? 'best' : '') : t.reason) },
  ]);
}

function report(s: SweepDetail, json: boolean | undefined): void {
  if (json) printJson(s);
  else printSweep(s);
  process.exitCode = s.counts.COMPLETE > 0 ? 0 : 1;
}

export function registerSweepCommand(program: Command): void {
  const sweep = withSlots(withCommon(program
    .command('sweep')
    .description('Hyperparameter sweeps: run a command over a search space (grid, random, TPE) as tracked trial runs, stopping losing trials early (median rule, ASHA)')
    .argument('[command...]', 'the trial command, after --; {{param}} in it becomes the value, {{args}} becomes --name=value per parameter')
    .option('-c, --config <file>', 'sweep.yaml: method, metric {name, goal}, parameters, seed, earlyStopping, tpe; name, experiment and trials too')
    .option('-e, --experiment <name>', 'experiment name (created when missing; default: the config\'s, else Default)')
    .option('--name <name>', 'the sweep\'s name (default: the config\'s, else the config file\'s)')
    .option('-n, --trials <n>', 'trials in all (default: the config\'s; a grid\'s size for grid search)')
    .option('--json', 'print JSON')
    .passThroughOptions()))
    .action(async (command: string[], opts: RunOptions) => {
      if (!opts.config) throw invalid('Give the sweep config: openexpert sweep --config sweep.yaml -- python train.py');
      const file = readConfigFile(opts.config);
      const config = command.length ? { ...file.config, command } : file.config;
      const experimentName = opts.experiment ?? file.experiment;
      const experimentId = experimentName !== undefined ? await experimentIdOf(opts, experimentName) : '0';
      const trials = positive(opts.trials, '--trials') ?? file.trials;
      const sweeps = new Sweeps({ request: apiOf(opts) });
      const created = await sweeps.create({
        name: opts.name ?? file.name ?? opts.config.replace(/^.*\//, '').replace(/\.ya?ml$/, ''), experimentId,
        config: config as Parameters<Sweeps['create']>[0]['config'], ...(trials !== undefined ? { trials } : {}),
      });
      console.error(`openexpert: sweep ${created.id} (${created.maxTrials} trials, ${opts.parallel} at a time); parent run ${created.parentRunId}`);
      report(await runSweep({ ...opts, parallel: positive(opts.parallel, '--parallel')!, pollMs: positive(opts.pollMs, '--poll-ms')! }, created.id, process.cwd()), opts.json);
    });

  withCommon(sweep.command('status').description('A sweep\'s trials, their state and values, and the best one').argument('<sweepId>').option('--json', 'print JSON'))
    .action(async (id: string, opts: Common) => {
      const s = await new Sweeps({ request: apiOf(opts) }).get(id);
      if (opts.json) printJson(s);
      else printSweep(s);
    });

  withCommon(sweep.command('list').description('Sweeps, newest first').option('-e, --experiment <name>', 'only this experiment\'s').option('--json', 'print JSON'))
    .action(async (opts: Common & { experiment?: string }) => {
      const sweeps = new Sweeps({ request: apiOf(opts) });
      const items = await sweeps.list(opts.experiment !== undefined ? { experimentId: await experimentIdOf(opts, opts.experiment) } : {});
      if (opts.json) return printJson(items);
      printTable(items, [
        { header: 'SWEEP ID', value: (s) => s.id },
        { header: 'NAME', value: (s) => s.name },
        { header: 'METHOD', value: (s) => s.config.method },
        { header: 'STATE', value: (s) => s.state },
        { header: 'TRIALS', value: (s) => `${s.counts.COMPLETE + s.counts.PRUNED + s.counts.FAILED}/${s.maxTrials}` },
        { header: `BEST`, value: (s) => (s.best ? `${s.config.metric.name}=${formatNumber(s.best.value!)} (trial ${s.best.number})` : '') },
        { header: 'CREATED', value: (s) => formatTime(s.createdAt) },
      ]);
    });

  withSlots(withCommon(sweep.command('resume')
    .description('Go on with a sweep whose controller stopped (crash, Ctrl-C): completed trials stay, interrupted ones run again')
    .argument('<sweepId>').option('--json', 'print JSON')))
    .action(async (id: string, opts: Common & { parallel: string; pollMs: string }) => {
      const sweeps = new Sweeps({ request: apiOf(opts) });
      // The lease first: resuming marks running trials interrupted, which must never happen under a live controller.
      const lease = await holdLease(sweeps, id);
      try {
        const interrupted = await sweeps.resume(id, { controller: lease.controller });
        const stopped = stopLeftovers(interrupted);
        console.error(`openexpert: resuming sweep ${id}: ${interrupted.length} interrupted trial(s) run again${stopped ? `; stopped ${stopped} left running` : ''}`);
        report(await runSweep({ ...opts, parallel: positive(opts.parallel, '--parallel')!, pollMs: positive(opts.pollMs, '--poll-ms')!, lease }, id, process.cwd()), opts.json);
      } finally {
        await lease.release();
      }
    });

  withSlots(withCommon(sweep.command('extend')
    .description('Add trials to a sweep and run them')
    .argument('<sweepId>').requiredOption('-n, --trials <n>', 'how many more trials').option('--no-run', 'only raise the count; run later with `sweep resume`').option('--json', 'print JSON')))
    .action(async (id: string, opts: Common & { trials: string; run: boolean; parallel: string; pollMs: string }) => {
      const sweeps = new Sweeps({ request: apiOf(opts) });
      const extended = await sweeps.extend(id, positive(opts.trials, '--trials')!);
      console.error(`openexpert: sweep ${id} now has ${extended.maxTrials} trials`);
      if (!opts.run) return report(extended, opts.json);
      report(await runSweep({ ...opts, parallel: positive(opts.parallel, '--parallel')!, pollMs: positive(opts.pollMs, '--poll-ms')! }, id, process.cwd()), opts.json);
    });

  withCommon(sweep.command('best').description('The best trial: best complete value by the declared goal, earliest on ties, never NaN').argument('<sweepId>').option('--json', 'print JSON'))
    .action(async (id: string, opts: Common) => {
      const t = await new Sweeps({ request: apiOf(opts) }).best(id);
      if (opts.json) return printJson(t);
      console.log(`trial ${t.number}: ${formatNumber(t.value!)} at step ${t.step ?? 0}; run ${t.runId}; ${paramsText(t)}`);
    });

  withCommon(sweep.command('importance')
    .description('Parameter importance: each parameter\'s share of the objective\'s variance (fANOVA over a seeded random forest of the complete trials)')
    .argument('<sweepId>').option('--seed <n>', 'the forest\'s seed', '0').option('--trees <n>', 'regression trees in the forest', '64').option('--json', 'print JSON'))
    .action(async (id: string, opts: Common & { seed: string; trees: string }) => {
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0) throw invalid(`--seed must be a non-negative integer, got '${opts.seed}'`);
      const out = await new Sweeps({ request: apiOf(opts) }).importance(id, { seed, trees: positive(opts.trees, '--trees')! });
      if (opts.json) return printJson(out);
      console.log(`parameter importance over ${out.trials} complete trials (fANOVA, ${out.nTrees} trees, seed ${out.seed})`);
      printTable(out.params, [
        { header: 'PARAMETER', value: (p) => p.name },
        { header: 'IMPORTANCE', value: (p) => p.importance.toFixed(3) },
        { header: 'BAR', value: (p) => '#'.repeat(Math.round(p.importance * 40)) },
      ]);
      for (const s of out.skipped) console.log(`${s.name}: not estimated (${s.reason})`);
    });

  withCommon(sweep.command('register')
    .description('Register the best trial\'s model as a new model version (the registered model is created when missing)')
    .argument('<sweepId>').requiredOption('--name <model>', 'registered model name').option('--artifact-path <path>', 'where the trial logged its model', 'model')
    .option('--description <text>', 'the version\'s description').option('--json', 'print JSON'))
    .action(async (id: string, opts: Common & { name: string; artifactPath: string; description?: string }) => {
      const v = await new Sweeps({ request: apiOf(opts) }).register(id, { name: opts.name, artifactPath: opts.artifactPath, ...(opts.description ? { description: opts.description } : {}) });
      if (opts.json) return printJson(v);
      console.log(`registered ${v.name} version ${v.version} from run ${v.runId ?? ''} (${v.source})`);
    });
}
