/**
 * Kernel SHAP (Lundberg & Lee 2017): the Shapley values of v(S) = E_b[f(x_S, b_S̄)] — the model on
 * row x with the features outside S taken from background rows b — found as the weighted least
 * squares fit of v over coalitions with the Shapley kernel π(S) = (M − 1) / (C(M, |S|) · |S| · (M − |S|)),
 * constrained so the values sum to f(x) − E[f]. Over all 2^M − 2 proper coalitions the fit is the exact
 * Shapley values; with more features than the budget can enumerate, coalitions are sampled (sizes in
 * proportion to the kernel's mass per size, each with its complement) and weighted equally.
 */
import { invalid } from '../../core/errors.js';

/** Model outputs for `count` rows, row-major `width` features each. */
export type Predict = (rows: Float64Array, count: number) => Promise<Float64Array>;

export interface KernelShapOptions {
  /** Coalitions evaluated per row; exact enumeration when 2^M − 2 fits in it. */
  readonly budget: number;
  readonly random: () => number;
  /** Rows per model call. */
  readonly chunkRows?: number;
}

export interface KernelShapRow {
  readonly values: Float64Array;
  readonly expected: number;
  readonly prediction: number;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

export const shapleyKernelWeight = (m: number, size: number) => (m - 1) / (binomial(m, size) * size * (m - size));

/** The coalitions (as 0/1 masks, row-major M wide) and their regression weights. */
export function coalitions(m: number, budget: number, random: () => number): { masks: Uint8Array; weights: Float64Array; exact: boolean } {
  const total = 2 ** m - 2;
  if (m <= 30 && total <= budget) {
    const masks = new Uint8Array(total * m);
    const weights = new Float64Array(total);
    for (let s = 1; s <= total; s++) {
      let size = 0;
      for (let j = 0; j < m; j++) if ((s >> j) & 1) {
        masks[(s - 1) * m + j] = 1;
        size++;
      }
      weights[s - 1] = shapleyKernelWeight(m, size);
    }
    return { masks, weights, exact: true };
  }
  const pairs = Math.max(1, Math.floor(budget / 2));
  const masks = new Uint8Array(pairs * 2 * m);
  // The kernel's total mass at size s is C(M,s)·π(s) ∝ 1 / (s(M − s)).
  const mass = Array.from({ length: m - 1 }, (_, i) => 1 / ((i + 1) * (m - i - 1)));
  const cumulative: number[] = [];
  mass.reduce((acc, v, i) => (cumulative[i] = acc + v), 0);
  const totalMass = cumulative[cumulative.length - 1]!;
  const order = Array.from({ length: m }, (_, j) => j);
  for (let p = 0; p < pairs; p++) {
    const u = random() * totalMass;
    let size = 1;
    while (size < m - 1 && cumulative[size - 1]! < u) size++;
    for (let j = 0; j < size; j++) {
      const k = j + Math.floor(random() * (m - j));
      [order[j], order[k]] = [order[k]!, order[j]!];
    }
    for (let j = 0; j < m; j++) masks[(2 * p + 1) * m + j] = 1;
    for (let j = 0; j < size; j++) {
      masks[2 * p * m + order[j]!] = 1;
      masks[(2 * p + 1) * m + order[j]!] = 0;
    }
  }
  return { masks, weights: new Float64Array(pairs * 2).fill(1), exact: false };
}

/** Solves A·x = b (A square, row-major) by Gaussian elimination with partial pivoting. */
export function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = Float64Array.from(b);
  const m = Float64Array.from(a);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[pivot * n + col]!)) pivot = r;
    if (Math.abs(m[pivot * n + col]!) < 1e-300) throw invalid('Kernel SHAP: the sampled coalitions do not determine every feature; raise the sampling budget');
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [m[col * n + k], m[pivot * n + k]] = [m[pivot * n + k]!, m[col * n + k]!];
      [x[col], x[pivot]] = [x[pivot]!, x[col]!];
    }
    for (let r = col + 1; r < n; r++) {
      const f = m[r * n + col]! / m[col * n + col]!;
      if (f === 0) continue;
      for (let k = col; k < n; k++) m[r * n + k]! -= f * m[col * n + k]!;
      x[r]! -= f * x[col]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < n; k++) s -= m[r * n + k]! * x[k]!;
    x[r] = s / m[r * n + r]!;
  }
  return x;
}

/** The constrained weighted least squares fit: φ with Σφ = delta minimising Σ w (y − z·φ)². */
export function fitAttributions(masks: Uint8Array, weights: Float64Array, y: Float64Array, m: number, delta: number): Float64Array {
  if (m === 1) return Float64Array.of(delta);
  // Eliminate the last feature: φ_M = delta − Σ φ_i, so y − z_M·delta = Σ_{i<M} (z_i − z_M) φ_i.
  const k = m - 1;
  const ata = new Float64Array(k * k);
  const atb = new Float64Array(k);
  const row = new Float64Array(k);
  for (let c = 0; c < weights.length; c++) {
    const zm = masks[c * m + k]!;
    const target = y[c]! - zm * delta;
    const w = weights[c]!;
    for (let i = 0; i < k; i++) row[i] = masks[c * m + i]! - zm;
    for (let i = 0; i < k; i++) {
      if (row[i] === 0) continue;
      const wi = w * row[i]!;
      atb[i]! += wi * target;
      for (let j = 0; j < k; j++) ata[i * k + j]! += wi * row[j]!;
    }
  }
  const head = solve(ata, atb, k);
  const out = new Float64Array(m);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    out[i] = head[i]!;
    sum += head[i]!;
  }
  out[k] = delta - sum;
  return out;
}

/**
 * Kernel SHAP for each row of `rows` (count × M) against `background` (B × M): one model call per chunk
 * covers every coalition of every background row. `expected` is the mean model output on the background.
 */
export async function kernelShap(
  predict: Predict, rows: Float64Array, count: number, background: Float64Array, backgroundRows: number, m: number, opts: KernelShapOptions,
): Promise<{ rows: KernelShapRow[]; exact: boolean; coalitions: number; expected: number }> {
  const backgroundOut = await predict(background, backgroundRows);
  let expected = 0;
  for (const v of backgroundOut) expected += v;
  expected /= backgroundRows;
  const own = await predict(rows, count);
  const { masks, weights, exact } = coalitions(m, opts.budget, opts.random);
  const nc = weights.length;
  const chunkRows = opts.chunkRows ?? 65_536;
  const out: KernelShapRow[] = [];
  const coalitionsPerChunk = Math.max(1, Math.floor(chunkRows / backgroundRows));
  for (let r = 0; r < count; r++) {
    const x = rows.subarray(r * m, (r + 1) * m);
    const y = new Float64Array(nc);
    for (let c0 = 0; c0 < nc; c0 += coalitionsPerChunk) {
      const c1 = Math.min(nc, c0 + coalitionsPerChunk);
      const batch = new Float64Array((c1 - c0) * backgroundRows * m);
      let at = 0;
      for (let c = c0; c < c1; c++) {
        for (let b = 0; b < backgroundRows; b++) {
          for (let j = 0; j < m; j++) batch[at++] = masks[c * m + j] ? x[j]! : background[b * m + j]!;
        }
      }
      const predicted = await predict(batch, (c1 - c0) * backgroundRows);
      for (let c = c0; c < c1; c++) {
        let s = 0;
        for (let b = 0; b < backgroundRows; b++) s += predicted[(c - c0) * backgroundRows + b]!;
        y[c] = s / backgroundRows - expected;
      }
    }
    const prediction = own[r]!;
    out.push({ values: fitAttributions(masks, weights, y, m, prediction - expected), expected, prediction });
  }
  return { rows: out, exact, coalitions: nc, expected };
}
