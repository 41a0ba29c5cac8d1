/**
 * Rank tests on two ascending samples: the k-sample Anderson–Darling test for k = 2 (Scholz & Stephens
 * 1987, midrank version; SciPy's `anderson_ksamp`, p-value interpolated from their Table 2 and capped
 * to [0.001, 0.25]) and the two-sample Cramér–von Mises test (Anderson 1962; SciPy's
 * `cramervonmises_2samp`, exact for samples of at most 20, otherwise the limiting distribution).
 */
import { besselKScaled, logGamma } from './special.js';
import type { TestResult } from './hypothesis.js';

/** Least-squares quadratic through (x, y), like `np.polyfit(x, y, 2)`, evaluated at t. */
function quadraticFitAt(x: readonly number[], y: readonly number[], t: number): number {
  const s = [0, 0, 0, 0, 0];
  const r = [0, 0, 0];
  for (let i = 0; i < x.length; i++) {
    let p = 1;
    for (let k = 0; k < 5; k++) {
      s[k]! += p;
      if (k < 3) r[k]! += p * y[i]!;
      p *= x[i]!;
    }
  }
  // Normal equations for c0 + c1·x + c2·x², solved by Cramer's rule (3×3, well conditioned here).
  const m = [
    [s[0]!, s[1]!, s[2]!],
    [s[1]!, s[2]!, s[3]!],
    [s[2]!, s[3]!, s[4]!],
  ];
  const det = (a: number[][]) =>
    a[0]![0]! * (a[1]![1]! * a[2]![2]! - a[1]![2]! * a[2]![1]!) -
    a[0]![1]! * (a[1]![0]! * a[2]![2]! - a[1]![2]! * a[2]![0]!) +
    a[0]![2]! * (a[1]![0]! * a[2]![1]! - a[1]![1]! * a[2]![0]!);
  const d = det(m);
  const c = [0, 1, 2].map((col) => det(m.map((row, i) => row.map((v, j) => (j === col ? r[i]! : v)))) / d);
  return c[0]! + c[1]! * t + c[2]! * t * t;
}

const AD_SIG = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001];
const AD_B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085];
const AD_B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615];
const AD_B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154];

export function andersonDarling2(a: Float64Array, b: Float64Array): TestResult & { readonly capped: boolean } {
  const n = [a.length, b.length];
  const N = a.length + b.length;
  const n0 = a.length;
  const n1 = b.length;
  let a2 = 0;
  let below0 = 0;
  let below1 = 0;
  let belowAll = 0;
  let inner0 = 0;
  let inner1 = 0;
  // One merge over the distinct values of the pooled sample (midranks: ties counted half below).
  let i = 0;
  let j = 0;
  while (i < n0 || j < n1) {
    const x = Math.min(i < n0 ? a[i]! : Infinity, j < n1 ? b[j]! : Infinity);
    const i0 = i;
    const j0 = j;
    while (i < n0 && a[i] === x) i++;
    while (j < n1 && b[j] === x) j++;
    const countA = i - i0;
    const countB = j - j0;
    const lj = countA + countB;
    const bj = belowAll + lj / 2;
    const mA = below0 + countA / 2;
    inner0 += ((lj / N) * (N * mA - bj * n0) ** 2) / (bj * (N - bj) - (N * lj) / 4);
    below0 += countA;
    const mB = below1 + countB / 2;
    inner1 += ((lj / N) * (N * mB - bj * n1) ** 2) / (bj * (N - bj) - (N * lj) / 4);
    below1 += countB;
    belowAll += lj;
  }
  a2 += inner0 / n0;
  a2 += inner1 / n1;
  a2 *= (N - 1) / N;

  const k = 2;
  const H = 1 / n[0]! + 1 / n[1]!;
  let h = 0;
  let g = 0;
  // Scholz & Stephens' h = Σ_{j<N} 1/j and g = Σ_{i=1}^{N−2} Σ_{j=i+1}^{N−1} 1/((N−i)·j), the latter by suffix sums.
  let tail = 0;
  for (let j = N - 1; j >= 2; j--) {
    tail += 1 / j;
    g += tail / (N - j + 1);
  }
  for (let i = 1; i <= N - 1; i++) h += 1 / i;
  const aa = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H;
  const bb = (2 * g - 4) * k * k + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6;
  const cc = (6 * h + 2 * g - 2) * k * k + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h;
  const dd = (2 * h + 6) * k * k - 4 * h * k;
  const sigmasq = (aa * N ** 3 + bb * N ** 2 + cc * N + dd) / ((N - 1) * (N - 2) * (N - 3));
  const m = k - 1;
  const statistic = (a2 - m) / Math.sqrt(sigmasq);
  const critical = AD_B0.map((b0, i) => b0 + AD_B1[i]! / Math.sqrt(m) + AD_B2[i]! / m);
  if (statistic < Math.min(...critical)) return { statistic, pValue: 0.25, capped: true };
  if (statistic > Math.max(...critical)) return { statistic, pValue: 0.001, capped: true };
  return { statistic, pValue: Math.exp(quadraticFitAt(critical, AD_SIG.map(Math.log), statistic)), capped: false };
}

/** P(ω² ≤ x) of the limiting Cramér–von Mises distribution (Csörgő & Faraway 1996, eq. 1.3). */
function cvmLimitCdf(x: number): number {
  let total = 0;
  for (let k = 0; k < 1000; k++) {
    const u = Math.exp(logGamma(k + 0.5) - logGamma(k + 1)) / (Math.PI ** 1.5 * Math.sqrt(x));
    const y = 4 * k + 1;
    const q = (y * y) / (16 * x);
    // e^{−q}·K_{1/4}(q) = e^{−2q}·(e^{q}K_{1/4}(q))
    const term = u * Math.sqrt(y) * Math.exp(-2 * q) * besselKScaled(0.25, q);
    total += term;
    if (Math.abs(term) < 1e-7) break;
  }
  return total;
}

/** Share of the C(m+n, m) orderings whose statistic reaches the observed one (Xiao, Gordon & Yakovlev 2006). */
function cvmExactSf(u: number, m: number, n: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  const lcm = (m * n) / gcd(m, n);
  const a = lcm / m;
  const b = lcm / n;
  const mn = m * n;
  const zeta = Math.floor((lcm ** 2 * (m + n) * (6 * u - mn * (4 * mn - 1))) / (6 * mn ** 2));
  let rows: Map<number, number>[] = [new Map([[0, 1]]), ...Array.from({ length: m }, () => new Map<number, number>())];
  for (let uu = 0; uu <= n; uu++) {
    const next: Map<number, number>[] = [];
    let acc = new Map<number, number>();
    for (let v = 0; v <= m; v++) {
      const merged = new Map(acc);
      for (const [value, count] of rows[v]!) merged.set(value, (merged.get(value) ?? 0) + count);
      const add = (a * v - b * uu) ** 2;
      acc = new Map([...merged].map(([value, count]) => [value + add, count]));
      next.push(acc);
    }
    rows = next;
  }
  let hits = 0;
  let total = 0;
  for (const [value, count] of rows[m]!) {
    total += count;
    if (value >= zeta) hits += count;
  }
  return hits / total;
}

export function cramerVonMises2(a: Float64Array, b: Float64Array): TestResult & { readonly method: 'exact' | 'asymptotic' } {
  const nx = a.length;
  const ny = b.length;
  // Average ranks of ties in the pooled sample; the i-th smallest of each side keeps its own index.
  let u = 0;
  let below = 0;
  let ia = 0;
  let ib = 0;
  let sumA = 0;
  let sumB = 0;
  let i = 0;
  let j = 0;
  while (i < nx || j < ny) {
    const x = Math.min(i < nx ? a[i]! : Infinity, j < ny ? b[j]! : Infinity);
    const i0 = i;
    const j0 = j;
    while (i < nx && a[i] === x) i++;
    while (j < ny && b[j] === x) j++;
    const countA = i - i0;
    const countB = j - j0;
    const rank = below + (countA + countB + 1) / 2;
    for (let c = 0; c < countA; c++) sumA += (rank - ++ia) ** 2;
    for (let c = 0; c < countB; c++) sumB += (rank - ++ib) ** 2;
    below += countA + countB;
  }
  u = nx * sumA + ny * sumB;
  const k = nx * ny;
  const N = nx + ny;
  const statistic = u / (k * N) - (4 * k - 1) / (6 * N);
  if (Math.max(nx, ny) <= 20) return { statistic, pValue: cvmExactSf(u, nx, ny), method: 'exact' };
  const et = (1 + 1 / N) / 6;
  const vt = ((N + 1) * (4 * k * N - 3 * (nx * nx + ny * ny) - 2 * k)) / (45 * N * N * 4 * k);
  const tn = 1 / 6 + (statistic - et) / Math.sqrt(45 * vt);
  const pValue = tn < 0.003 ? 1 : Math.max(0, 1 - cvmLimitCdf(tn));
  return { statistic, pValue, method: 'asymptotic' };
}
