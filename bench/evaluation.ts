/**
 * The binary evaluation at scale. Run with `npx tsx bench/evaluation.ts [--rows=N] [--resamples=N] [--no-peer]`; prints JSON.
 *
 * - evaluate: 1,000,000 predictions with 3 sensitive attributes (2, 4 and 5 groups, so 7 fairness views
 *   with the intersections), the full binary metric set and 1,000 bootstrap resamples — the target
 *   is under 20 s with memory bounded.
 * - sklearn: the same rows through scikit-learn (Debian's python3-sklearn) when it runs here: the point
 *   metrics, their values against ours, and the time of the same bootstrap done the usual way (resample
 *   indices, recompute) measured on a few resamples and scaled to the full count.
 *
 * The evaluation runs in a child process so its peak RSS is its own.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../src/domain/evaluation/bootstrap.js';
import { evaluatePredictions } from '../src/domain/evaluation/evaluate.js';
import { inlineTable } from '../src/domain/evaluation/predictions-table.js';
import { EvaluationSpecSchema } from '../src/domain/evaluation/schemas.js';

export interface EvaluationBenchOptions {
  readonly rows?: number;
  readonly resamples?: number;
  readonly peer?: boolean;
}

const ATTRIBUTES = { sex: ['female', 'male'], age: ['18-29', '30-44', '45-64', '65+'], region: ['north', 'south', 'east', 'west', 'centre'] };

/** Labels, a calibrated-ish score with ties at 4 decimals, and three sensitive attributes that shift the score a little. */
export function benchData(rows: number, seed = 1) {
  const random = createRng(seed);
  const y = new Float64Array(rows);
  const p = new Float64Array(rows);
  const columns = { sex: [] as string[], age: [] as string[], region: [] as string[] };
  for (let i = 0; i < rows; i++) {
    const sex = random() < 0.48 ? 0 : 1;
    const age = Math.floor(random() * 4);
    const region = Math.floor(random() * 5);
    const label = random() < 0.3 + 0.05 * sex ? 1 : 0;
    const score = 0.2 + 0.3 * label + 0.04 * sex - 0.02 * age + 0.6 * (random() - 0.5);
    y[i] = label;
    p[i] = Math.round(Math.min(1, Math.max(0, score)) * 1e4) / 1e4;
    columns.sex.push(ATTRIBUTES.sex[sex]!);
    columns.age.push(ATTRIBUTES.age[age]!);
    columns.region.push(ATTRIBUTES.region[region]!);
  }
  return { y, p, ...columns };
}

const HEADLINE = ['accuracy_score', 'balanced_accuracy_score', 'precision_score', 'recall_score', 'f1_score', 'roc_auc', 'average_precision', 'log_loss', 'brier_score_loss'];

/** Child process: one evaluation, timed, with its peak RSS. */
async function child(rows: number, resamples: number): Promise<void> {
  const d = benchData(rows);
  const spec = EvaluationSpecSchema.parse({
    task: 'binary', label: 'y', score: 'p', sensitive: ['sex', 'age', 'region'], privileged: { sex: ['male'], age: ['30-44'], region: ['north'] },
    bootstrap: { resamples, seed: 1 },
  });
  const start = performance.now();
  const r = await evaluatePredictions(inlineTable({ y: Array.from(d.y), p: d.p as unknown as number[], sex: d.sex, age: d.age, region: d.region }), spec);
  const seconds = (performance.now() - start) / 1000;
  const metrics = Object.fromEntries(HEADLINE.map((m) => [m, r.metrics[m]!.value]));
  const intervals = Object.fromEntries(HEADLINE.map((m) => [m, r.metrics[m]!.ci ? [r.metrics[m]!.ci!.lower, r.metrics[m]!.ci!.upper] : null]));
  const fairness = r.fairness!.attributes.filter((a) => a.columns.length === 1).map((a) => ({
    attribute: a.attribute,
    demographic_parity_difference: a.fairlearn.demographic_parity_difference!.value,
    equalized_odds_difference: a.fairlearn.equalized_odds_difference!.value,
    disparate_impact: a.aif360?.disparate_impact!.value,
  }));
  process.stdout.write(JSON.stringify({
    seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), fairnessViews: r.fairness!.attributes.length,
    notes: r.notes.filter((n) => n.includes('bins')), metrics, intervals, fairness,
  }));
}

const SKLEARN = `
import json, sys, time
import numpy as np
from sklearn import metrics as skm
d = np.load(sys.argv[1])
y, p, resamples = d['y'].astype(int), d['p'], int(sys.argv[2])
def metric_set(y, p):
    yhat = (p >= 0.5).astype(int)
    return {
        'accuracy_score': skm.accuracy_score(y, yhat), 'balanced_accuracy_score': skm.balanced_accuracy_score(y, yhat),
        'precision_score': skm.precision_score(y, yhat), 'recall_score': skm.recall_score(y, yhat), 'f1_score': skm.f1_score(y, yhat),
        'roc_auc': skm.roc_auc_score(y, p), 'average_precision': skm.average_precision_score(y, p),
        'log_loss': skm.log_loss(y, p, eps=np.finfo(float).eps), 'brier_score_loss': skm.brier_score_loss(y, p),
    }
t = time.perf_counter(); point = metric_set(y, p); point_seconds = time.perf_counter() - t
rng = np.random.default_rng(1); probe = 5
t = time.perf_counter()
for _ in range(probe):
    idx = rng.integers(0, len(y), len(y)); metric_set(y[idx], p[idx])
per = (time.perf_counter() - t) / probe
print(json.dumps({'version': __import__('sklearn').__version__, 'pointSeconds': point_seconds, 'metrics': point,
                  'bootstrapSecondsPerResample': per, 'bootstrapSecondsExtrapolated': per * resamples}))
`;

function sklearnPeer(rows: number, resamples: number): Record<string, unknown> | { skipped: string } {
  const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0);
  if (!python) return { skipped: 'python3 with scikit-learn is not installed (apt-get install python3-sklearn)' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'oe-eval-bench-'));
  try {
    const d = benchData(rows);
    // NumPy's .npz is a zip of .npy files; writing raw arrays and loading them with np.fromfile is simpler.
    writeFileSync(path.join(dir, 'y.bin'), Buffer.from(d.y.buffer));
    writeFileSync(path.join(dir, 'p.bin'), Buffer.from(d.p.buffer));
    const script = SKLEARN.replace("d = np.load(sys.argv[1])", "d = {'y': np.fromfile(sys.argv[1] + '/y.bin'), 'p': np.fromfile(sys.argv[1] + '/p.bin')}");
    const out = execFileSync(python, ['-c', script, dir, String(resamples)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return JSON.parse(out) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runEvaluationBench(options: EvaluationBenchOptions = {}) {
  const rows = options.rows ?? 1_000_000;
  const resamples = options.resamples ?? 1000;
  const self = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', `--rows=${rows}`, `--resamples=${resamples}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const ours = JSON.parse(out) as { seconds: number; metrics: Record<string, number> };
  const result: Record<string, unknown> = { rows, resamples, sensitiveAttributes: 3, targetSeconds: 20, evaluate: ours };
  if (options.peer !== false) {
    const peer = sklearnPeer(rows, resamples);
    result.sklearn = peer;
    if ('metrics' in peer) {
      const theirs = peer.metrics as Record<string, number>;
      result.maxAbsDifference = Math.max(...HEADLINE.map((m) => Math.abs(ours.metrics[m]! - theirs[m]!)));
      result.speedupOverSklearnBootstrap = Number(((peer.bootstrapSecondsExtrapolated as number) / ours.seconds).toFixed(1));
    }
  }
  return result;
}

const argv = process.argv.slice(2);
const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const rows = flag('rows') ? Number(flag('rows')) : undefined;
  const resamples = flag('resamples') ? Number(flag('resamples')) : undefined;
  if (argv.includes('--child')) await child(rows ?? 1_000_000, resamples ?? 1000);
  else console.log(JSON.stringify(await runEvaluationBench({ ...(rows ? { rows } : {}), ...(resamples !== undefined ? { resamples } : {}), peer: !argv.includes('--no-peer') }), null, 2));
}
