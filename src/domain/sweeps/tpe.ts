import { logGaussMass, sampleTruncNorm } from './normal.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
import { isActive, roundToStep, sampleUniform } from './space.js';
import type { Direction, ParamSpec, ParamValue, Params, SearchSpace, TpeOptions } from './types.js';

/**
 * The Tree-structured Parzen Estimator as Optuna's TPESampler does it with its defaults (independent per
 * parameter, prior_weight 1, consider_magic_clip, no endpoints, no constant liar), written out:
 *
 * 1. Fewer than `nStartupTrials` finished (complete or pruned) trials: every parameter is drawn at random.
 * 2. Else the finished trials are split: the best γ(n) = min(⌈0.1·n⌉, 25) complete trials by the objective are
 *    "good"; if fewer complete trials exist, pruned trials fill up, ranked by the furthest step reached, then by
 *    the value there. The rest are "bad". Both lists are kept in trial order.
 * 3. For each active parameter, in declaration order, l(x) is a Parzen estimator over the good trials that have the
 *    parameter and g(x) one over the bad ones: a mixture of one kernel per observation plus a prior kernel.
 *    Numeric parameters (on the log scale when declared so; integers widened by half a step each side) get truncated
 *    normal kernels centred on the observations with σ = the larger gap to a sorted neighbour (the range's ends
 *    count as neighbours, except that the lowest and the highest observation only look inwards), clipped to
 *    [(high−low)/min(100, n+2), high−low]; the prior kernel is centred on the range with σ = high−low. Integer
 *    kernels give each integer the mass of its ±step/2 cell. Categorical kernels put prior_weight/(n+1) on each
 *    category plus 1 on the observed one, normalized. Kernel weights: 1 each up to 25 observations, beyond that
 *    the oldest n−25 ramp linearly from 1/n to 1; the prior weighs 1; all normalized.
 * 4. `nEiCandidates` candidates are drawn from l(x); the first one maximising log l(x) − log g(x) is chosen.
 */

export interface TpeTrial {
  readonly number: number;
  readonly state: 'COMPLETE' | 'PRUNED';
  readonly params: Params;
  /** COMPLETE: the objective (NaN ranks last). */
  readonly value?: number;
  /** PRUNED: the last step reported and the value there. */
  readonly lastStep?: number;
  readonly lastValue?: number;
}

export const defaultGamma = (n: number) => Math.min(Math.ceil(0.1 * n), 25);

export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return Array<number>(n).fill(1);
  const ramp = n - 25;
  // numpy.linspace(1/n, 1, num=n−25)
  const out = Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (ramp - 1)));
  return [...out, ...Array<number>(25).fill(1)];
}

const PRIOR_WEIGHT = 1;

/** Ranks for "lower is better": the objective signed by direction, NaN after every number. */
const signed = (v: number | undefined, direction: Direction) => (v === undefined || Number.isNaN(v) ? Infinity : direction === 'minimize' ? v : -v);

export function splitTrials(trials: readonly TpeTrial[], nBelow: number, direction: Direction): { below: TpeTrial[]; above: TpeTrial[] } {
  const complete = trials.filter((t) => t.state === 'COMPLETE');
  const pruned = trials.filter((t) => t.state === 'PRUNED');
  const byValue = [...complete].sort((x, y) => cmp(signed(x.value, direction), signed(y.value, direction)));
  const nComplete = Math.min(nBelow, byValue.length);
  const below = byValue.slice(0, nComplete);
  const above = byValue.slice(nComplete);
  const prunedKey = (t: TpeTrial): [number, number] => (t.lastStep === undefined ? [1, 0] : [-t.lastStep, signed(t.lastValue, direction)]);
  const byProgress = [...pruned].sort((x, y) => {
    const [a, b] = [prunedKey(x), prunedKey(y)];
    return cmp(a[0], b[0]) || cmp(a[1], b[1]);
  });
  const nPruned = Math.min(Math.max(0, nBelow - nComplete), byProgress.length);
  below.push(...byProgress.slice(0, nPruned));
  above.push(...byProgress.slice(nPruned));
  const byNumber = (x: TpeTrial, y: TpeTrial) => x.number - y.number;
  return { below: below.sort(byNumber), above: above.sort(byNumber) };
}

const cmp = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);

/** A one-parameter Parzen estimator: draws candidates and scores them, on the parameter's own values. */
export interface ParzenEstimator {
  /** Kernel weights, prior last. */
  readonly weights: readonly number[];
  sample(random: () => number): ParamValue;
  logPdf(x: ParamValue): number;
}

/** The estimator over observed values of `p` (in trial order: the weights favour later ones beyond 25). */
export function parzenEstimator(p: ParamSpec, observed: readonly ParamValue[]): ParzenEstimator {
  const raw = observed.length === 0 ? [1] : [...defaultWeights(observed.length), PRIOR_WEIGHT];
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const pick = (random: () => number) => {
    const u = random();
    let acc = 0;
    for (let k = 0; k < weights.length; k++) {
      acc += weights[k]!;
      if (u < acc) return k;
    }
    return weights.length - 1;
  };
  const mixture = (logs: (k: number) => number) => logSumExp(weights.map((w, k) => Math.log(w) + logs(k)));
  if (p.type === 'categorical') return categoricalEstimator(p.values, observed, weights, pick, mixture);

  const step = p.type === 'int' ? p.step : 0;
  const isLog = p.type === 'log_uniform' || (p.type === 'int' && p.log);
  const t = (x: number) => (isLog ? Math.log(x) : x);
  const low = t(p.min - step / 2);
  const high = t(p.max + step / 2);
  const mus = observed.map((x) => t(x as number));
  const sigmas = kernelSigmas(mus, low, high);
  mus.push(0.5 * (low + high));
  sigmas.push(high - low);
  // Each kernel's mass inside the range, computed once: every density divides by it.
  const logNorm = mus.map((mu, k) => logGaussMass((low - mu) / sigmas[k]!, (high - mu) / sigmas[k]!));
  return {
    weights,
    sample(random) {
      const k = pick(random);
      const x = sampleTruncNorm(mus[k]!, sigmas[k]!, low, high, random);
      const v = isLog ? Math.exp(x) : x;
      return step ? roundToStep(v, p.min, p.max, step) : Math.min(p.max, Math.max(p.min, v));
    },
    logPdf(value) {
      const x = value as number;
      if (!step) {
        const xt = t(x);
        if (xt < low || xt > high) return -Infinity;
        return mixture((k) => {
          const z = (xt - mus[k]!) / sigmas[k]!;
          return -0.5 * z * z - LOG_SQRT_2PI - Math.log(sigmas[k]!) - logNorm[k]!;
        });
      }
      const left = t(x - step / 2);
      const right = t(x + step / 2);
      return mixture((k) => {
        const [mu, s] = [mus[k]!, sigmas[k]!];
        return logGaussMass((left - mu) / s, (right - mu) / s) - logNorm[k]!;
      });
    },
  };
}

/** Optuna's bandwidths: the larger gap to a sorted neighbour, the extreme observations looking inwards only, clipped. */
export function kernelSigmas(mus: readonly number[], low: number, high: number): number[] {
  const n = mus.length;
  if (n === 0) return [];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]! || a - b);
  const s = [low, ...order.map((i) => mus[i]!), high];
  const sorted = order.map((_, j) => Math.max(s[j + 1]! - s[j]!, s[j + 2]! - s[j + 1]!));
  if (s.length >= 4) {
    sorted[0] = s[2]! - s[1]!;
    sorted[n - 1] = s[n]! - s[n - 1]!;
  }
  const maxSigma = high - low;
  const minSigma = (high - low) / Math.min(100, n + 2);
  const out = new Array<number>(n);
  order.forEach((i, j) => {
    out[i] = Math.min(maxSigma, Math.max(minSigma, sorted[j]!));
  });
  return out;
}

function categoricalEstimator(
  values: readonly ParamValue[], observed: readonly ParamValue[], weights: readonly number[],
  pick: (random: () => number) => number, mixture: (logs: (k: number) => number) => number,
): ParzenEstimator {
  const m = values.length;
  const rows: number[][] = [];
  if (observed.length === 0) rows.push(Array<number>(m).fill(1 / m));
  else {
    const nKernels = observed.length + 1;
    for (const v of [...observed, undefined]) {
      const row = Array<number>(m).fill(PRIOR_WEIGHT / nKernels);
      if (v !== undefined) row[values.indexOf(v)]! += 1;
      const sum = row.reduce((a, b) => a + b, 0);
      rows.push(row.map((x) => x / sum));
    }
  }
  return {
    weights,
    sample(random) {
      const row = rows[pick(random)]!;
      const u = random();
      let acc = 0;
      for (let i = 0; i < m; i++) {
        acc += row[i]!;
        if (u < acc) return values[i]!;
      }
      return values[m - 1]!;
    },
    logPdf(x) {
      const i = values.indexOf(x);
      return mixture((k) => Math.log(rows[k]![i]!));
    },
  };
}

function logSumExp(xs: readonly number[]): number {
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return max + Math.log(sum);
}

/** The parameters TPE proposes for the next trial, given the finished trials (complete or pruned). */
export function suggestTpe(space: SearchSpace, finished: readonly TpeTrial[], direction: Direction, options: TpeOptions, random: () => number): Params {
  const chosen: Record<string, ParamValue> = {};
  if (finished.length < options.nStartupTrials) {
    for (const p of space) if (isActive(p.when, chosen)) chosen[p.name] = sampleUniform(p, random);
    return chosen;
  }
  const { below, above } = splitTrials(finished, defaultGamma(finished.length), direction);
  for (const p of space) {
    if (!isActive(p.when, chosen)) continue;
    const has = (t: TpeTrial) => t.params[p.name] !== undefined;
    const l = parzenEstimator(p, below.filter(has).map((t) => t.params[p.name]!));
    const g = parzenEstimator(p, above.filter(has).map((t) => t.params[p.name]!));
    let best: ParamValue | undefined;
    let bestScore = -Infinity;
    for (let i = 0; i < options.nEiCandidates; i++) {
      const x = l.sample(random);
      const score = l.logPdf(x) - g.logPdf(x);
      if (best === undefined || score > bestScore) [best, bestScore] = [x, score];
    }
    chosen[p.name] = best!;
  }
  return chosen;
}
