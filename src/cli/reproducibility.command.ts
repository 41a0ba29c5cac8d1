import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Option, type Command } from 'commander';
import { invalid, invalidState } from '../core/errors.js';
import { sha256OfFile } from '../domain/reproducibility/capture.js';
import { formatTolerance, parseTolerance } from '../domain/reproducibility/comparison.js';
import type { Capture, Reproduction } from '../domain/reproducibility/types.js';
import type { Run } from '../domain/tracking/types.js';
import { clientUrl } from '../config/config.js';
import { authHeaders } from './dataset-transfer.js';
import type { Common } from './models.command.js';
import { printJson, printTable } from './output.js';
import { apiOf, fetchArtifact, trackedRun } from './tracked-run.js';

const exec = promisify(execFile);
const collect = (value: string, previous: string[] = []) => [...previous, value];

const git = async (cwd: string, ...args: string[]) => (await exec('git', args, { cwd, maxBuffer: 1 << 30, encoding: 'utf8' })).stdout.trim();
const hasCommit = (repo: string, commit: string) => git(repo, 'cat-file', '-e', `${commit}^{commit}`).then(() => true, () => false);

/**
 * A clean checkout of the captured commit at `dir`: a detached `git worktree` of the repository the run came from
 * when it still has the commit, else a clone of its remote. Nothing of the user's own working tree is touched.
 */
async function checkout(capture: NonNullable<Capture['git']>, dir: string): Promise<() => Promise<void>> {
  const tried: string[] = [];
  if (fs.existsSync(capture.root)) {
    if (await hasCommit(capture.root, capture.commit)) {
      await git(capture.root, 'worktree', 'add', '--detach', dir, capture.commit);
      return async () => {
        await git(capture.root, 'worktree', 'remove', '--force', dir).catch(() => fs.rmSync(dir, { recursive: true, force: true }));
      };
    }
    tried.push(`the repository at ${capture.root} does not have it`);
  } else tried.push(`the repository at ${capture.root} is gone`);
  if (capture.remote) {
    try {
      await exec('git', ['clone', '--quiet', '--no-checkout', capture.remote, dir], { maxBuffer: 1 << 26 });
      if (await hasCommit(dir, capture.commit)) {
        await git(dir, 'checkout', '--quiet', '--detach', capture.commit);
        return async () => fs.rmSync(dir, { recursive: true, force: true });
      }
      tried.push(`its remote ${capture.remote} does not have it`);
    } catch (err) {
      tried.push(`its remote ${capture.remote} could not be cloned (${(err as Error).message.split('\n')[0]})`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  } else tried.push('no remote was recorded');
  throw invalidState(`Commit ${capture.commit} is no longer reachable: ${tried.join('; ')}. Restore the commit (or push it to the remote) and try again`);
}

/** Restores the captured uncommitted changes and input files into the checkout, each checked against its digest. */
async function restoreInputs(opts: Common, source: Run, capture: Capture, root: string, cwd: string): Promise<void> {
  if (capture.git?.diffArtifact && capture.git.diffSha256) {
    const patch = path.join(path.dirname(root), 'captured.diff');
    await fetchArtifact(opts, source, capture.git.diffArtifact, capture.git.diffSha256, 0, patch);
    try {
      await git(root, 'apply', '--binary', '--whitespace=nowarn', patch);
    } catch (err) {
      throw invalidState(`The captured uncommitted changes do not apply to commit ${capture.git.commit}: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`);
    } finally {
      fs.rmSync(patch, { force: true });
    }
  }
  for (const input of capture.inputs) {
    const out = path.join(cwd, ...input.path.split('/'));
    if (fs.existsSync(out) && (await sha256OfFile(out)) === input.sha256) continue;
    if (!input.artifact) throw invalidState(`Input '${input.path}' was not kept with run ${source.info.runId}`);
    fs.rmSync(out, { force: true });
    await fetchArtifact(opts, source, input.artifact, input.sha256, input.size, out);
  }
}

function printReproduction(r: Reproduction): void {
  printTable(r.metrics, [
    { header: 'METRIC', value: (m) => m.key },
    { header: 'ORIGINAL', value: (m) => m.original },
    { header: 'REPRODUCED', value: (m) => m.reproduced },
    { header: 'DELTA', value: (m) => m.delta },
    { header: 'TOLERANCE', value: (m) => m.tolerance },
    { header: 'WITHIN', value: (m) => (m.withinTolerance ? 'yes' : 'NO') },
  ]);
  if (r.environment.length) {
    console.log('\nenvironment differences:');
    printTable(r.environment, [
      { header: 'WHAT', value: (d) => d.field },
      { header: 'ORIGINAL', value: (d) => d.original },
      { header: 'REPRODUCED', value: (d) => d.reproduced },
    ]);
  }
  console.log(`\n${r.passed ? 'reproduced' : 'NOT reproduced'}: run ${r.runId} against ${r.sourceRunId}${r.exitCode === 0 ? '' : ` (the rerun exited ${r.exitCode ?? 'by a signal'})`}; reproduction ${r.id}`);
}

interface RunOptions extends Common {
  experiment?: string;
  runName?: string;
  input: string[];
  dataset: string[];
  tag: string[];
}

interface ReproduceOptions extends Common {
  tolerance?: string;
  html?: string;
  keep?: boolean;
}

const withCommon = (cmd: Command) => cmd
  .option('--url <url>', 'server URL (default $OPENEXPERT_URL, $MLFLOW_TRACKING_URI or http://127.0.0.1:5000)')
  .addOption(new Option('--user <name>', 'act as this user (auth off)').env('OPENEXPERT_USER'));

export function registerReproducibilityCommands(program: Command): void {
  withCommon(program
    .command('run')
    .description('Run a command as a tracked run and capture what it needs to be reproduced (git commit and diff, lock files, inputs, datasets, seeds, hardware, output)')
    .argument('<command...>', 'the command, after --')
    .option('-e, --experiment <name>', 'experiment name (created when missing; default: Default)')
    .option('--run-name <name>', 'the run\'s name')
    .option('-i, --input <path>', 'a file or folder the command reads, kept with the run by content (repeatable)', collect, [])
    .option('-d, --dataset <name@version[:dir]>', 'a dataset version fetched into dir (default data/<name>) before the command starts (repeatable)', collect, [])
    .option('-t, --tag <key=value>', 'a tag on the run (repeatable)', collect, [])
    .passThroughOptions())
    .action(async (command: string[], opts: RunOptions) => {
      const tags = Object.fromEntries(opts.tag.map((t) => {
        const eq = t.indexOf('=');
        if (eq <= 0) throw invalid(`Invalid tag '${t}': write key=value`);
        return [t.slice(0, eq), t.slice(eq + 1)];
      }));
      const result = await trackedRun({ ...opts, inputs: opts.input, datasets: opts.dataset, tags }, command, process.cwd());
      console.error(`openexpert: run ${result.runId} ${result.signal ? `killed by ${result.signal}` : `exited ${result.exitCode}`}; captured`);
      process.exitCode = result.exitCode ?? 1;
    });

  withCommon(program
    .command('reproduce')
    .description('Rerun a captured run from a clean checkout of its commit, diff, inputs and dataset versions, and compare metrics and environment')
    .argument('<runId>')
    .option('--tolerance <spec>', 'allowed differences, e.g. accuracy=0.01,loss=2% (absolute, or percent of the original; * for the rest); exact when absent')
    .option('--html <file>', 'also write the comparison as an HTML page')
    .option('--keep', 'keep the working directory of the rerun')
    .option('--json', 'print JSON'))
    .action(async (runId: string, opts: ReproduceOptions & { json?: boolean }) => {
      const tolerance = formatTolerance(parseTolerance(opts.tolerance ?? ''));
      const api = apiOf(opts);
      const source = await api<Run>('GET', `/api/v1/runs/${encodeURIComponent(runId)}`);
      const capture = await api<Capture>('GET', `/api/v1/runs/${source.info.runId}/capture`).catch((err: { code?: string }) => {
        if (err.code === 'RESOURCE_DOES_NOT_EXIST') throw invalidState(`Run ${runId} was not captured: only runs started with \`openexpert run\` can be reproduced`);
        throw err;
      });
      const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-reproduce-'));
      const root = path.join(workspace, 'checkout');
      let cleanup = async () => fs.rmSync(workspace, { recursive: true, force: true });
      try {
        if (capture.git) {
          const removeCheckout = await checkout(capture.git, root);
          cleanup = async () => {
            await removeCheckout();
            fs.rmSync(workspace, { recursive: true, force: true });
          };
        } else fs.mkdirSync(root);
        const cwd = capture.git ? path.join(root, ...capture.cwd.split('/').filter(Boolean)) : root;
        fs.mkdirSync(cwd, { recursive: true });
        await restoreInputs(opts, source, capture, root, cwd);
        console.error(`openexpert: reproducing run ${runId} in ${cwd}`);
        const rerun = await trackedRun({
          ...opts,
          experimentId: source.info.experimentId,
          runName: `reproduce-${source.info.runName}`.slice(0, 250),
          inputs: capture.inputs.map((i) => i.path),
          // Versions fetched for the command are fetched again; the ones it read itself, it reads again, pinned.
          datasets: capture.datasets.filter((d) => d.path !== undefined).map((d) => `${d.name}@${d.version}:${d.path}`),
          tags: { 'openexpert.reproduction_of': source.info.runId },
          // The report is what this command prints; the rerun's own output goes to stderr (and the run's log).
          echo: 'stderr',
          // What OpenExpert gave the original command (a sweep trial's SWEEP_* parameters) it gets again.
          env: {
            ...capture.env,
            ...(capture.seeds.PYTHONHASHSEED ? { PYTHONHASHSEED: capture.seeds.PYTHONHASHSEED } : {}),
            ...(capture.datasets.length ? { OPENEXPERT_DATASET_PINS: capture.datasets.map((d) => `${d.name}@${d.version}`).join(',') } : {}),
          },
        }, capture.command, cwd);
        const reproduction = await api<Reproduction>('POST', '/api/v1/reproductions', { body: { sourceRunId: source.info.runId, runId: rerun.runId, tolerance } });
        if (opts.html) {
          const res = await fetch(`${clientUrl(opts.url)}/api/v1/reproductions/${reproduction.id}/report.html`, { headers: authHeaders(opts) });
          if (!res.ok) throw invalidState(`The HTML report could not be read: HTTP ${res.status}`);
          fs.writeFileSync(opts.html, await res.text());
        }
        if (opts.json) printJson(reproduction);
        else printReproduction(reproduction);
        if (opts.keep) console.error(`openexpert: kept ${cwd}`);
        process.exitCode = reproduction.passed ? 0 : 2;
      } finally {
        if (!opts.keep) await cleanup();
      }
    });
}
