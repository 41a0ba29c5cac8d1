/**
 * Distances between two samples or two proportion vectors, as SciPy defines them (natural logarithm
 * throughout). Sums use Neumaier compensation so million-term sums stay accurate to rounding.
 */

class Sum {
  private sum = 0;
  private comp = 0;
  add(x: number): void {
    const t = this.sum + x;
    this.comp += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
  }
  get value(): number {
    return this.sum + this.comp;
  }
}

/** First Wasserstein distance ∫|F₁ − F₂| dx of two ascending samples (SciPy's `wasserstein_distance`). */
export function wasserstein(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let x = Math.min(a[0]!, b[0]!);
  // Neumaier's compensated sum, kept in locals: a method call per term would cost more than the merge itself.
  let sum = 0;
  let comp = 0;
  while (i < n1 || j < n2) {
    while (i < n1 && a[i]! <= x) i++;
    while (j < n2 && b[j]! <= x) j++;
    if (i === n1 && j === n2) break;
    const next = Math.min(i < n1 ? a[i]! : Infinity, j < n2 ? b[j]! : Infinity);
    const term = Math.abs(i / n1 - j / n2) * (next - x);
    const t = sum + term;
    comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
    x = next;
  }
  return sum + comp;
}

/** Mean and population standard deviation (NumPy's default, ddof = 0), by two compensated passes. */
export function meanAndStd(values: Float64Array): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  let sum = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const t = sum + v;
    comp += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  const mean = (sum + comp) / n;
  sum = 0;
  comp = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    const v = d * d;
    const t = sum + v;
    comp += sum >= v ? sum - t + v : v - t + sum;
    sum = t;
  }
  return { mean, std: Math.sqrt((sum + comp) / n) };
}

export const populationStd = (values: Float64Array): number => meanAndStd(values).std;

const normalize = (p: Float64Array): Float64Array => {
  let s = 0;
  for (const v of p) s += v;
  return p.map((v) => v / s);
};

/** x·ln(x/y) with SciPy's `rel_entr` conventions at zero. */
const relEntr = (x: number, y: number): number => (x === 0 && y >= 0 ? 0 : x > 0 && y > 0 ? x * Math.log(x / y) : Infinity);

/** Jensen–Shannon distance (the square root of the divergence), natural log; inputs are normalized first. */
export function jensenShannon(p0: Float64Array, q0: Float64Array): number {
  const p = normalize(p0);
  const q = normalize(q0);
  const s = new Sum();
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    s.add(relEntr(p[i]!, m) + relEntr(q[i]!, m));
  }
  return Math.sqrt(Math.max(0, s.value) / 2);
}

/** Kullback–Leibler divergence D(p‖q) of normalized inputs (SciPy's `entropy(p, q)`). */
export function klDivergence(p0: Float64Array, q0: Float64Array): number {
  const p = normalize(p0);
  const q = normalize(q0);
  const s = new Sum();
  for (let i = 0; i < p.length; i++) s.add(relEntr(p[i]!, q[i]!));
  return s.value;
}

/** Population stability index Σ (pᵢ − qᵢ)·ln(pᵢ/qᵢ) over proportions with no empty bin. */
export function psi(p: Float64Array, q: Float64Array): number {
  const s = new Sum();
  for (let i = 0; i < p.length; i++) s.add((p[i]! - q[i]!) * Math.log(p[i]! / q[i]!));
  return s.value;
}

/** Hellinger distance √(Σ(√pᵢ − √qᵢ)²)/√2 of two proportion vectors. */
export function hellinger(p: Float64Array, q: Float64Array): number {
  const s = new Sum();
  for (let i = 0; i < p.length; i++) s.add((Math.sqrt(p[i]!) - Math.sqrt(q[i]!)) ** 2);
  return Math.sqrt(s.value) / Math.SQRT2;
}
