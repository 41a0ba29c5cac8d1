/**
 * Special functions the drift tests need and no maintained npm package provides in double precision:
 * log-gamma, the regularized incomplete gamma (chi-squared and normal tails), and the scaled modified
 * Bessel function of the second kind (the Cramér–von Mises limiting distribution).
 */

// Lanczos approximation, g = 7, n = 9: about 15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;

/** P(a, x) by its power series; converges fast for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let sum = 1 / a;
  let term = sum;
  for (let n = 1; n < 100_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** Q(a, x) by Lentz's continued fraction; converges fast for x ≥ a + 1. */
function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

/** Survival function of the chi-squared distribution with `df` degrees of freedom. */
export function chiSquaredSf(statistic: number, df: number): number {
  if (Number.isNaN(statistic)) return NaN;
  return gammaQ(df / 2, statistic / 2);
}

/** Upper tail of the standard normal, Φ̄(z), accurate in the far tail (erfc(x) = Q(1/2, x²)). */
export function normalSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return 1 - normalSf(-z);
  return 0.5 * gammaQ(0.5, (z * z) / 2);
}

/**
 * e^x·K_ν(x) from K_ν(x) = ∫₀^∞ exp(−x·cosh t)·cosh(νt) dt. The integrand is analytic and decays
 * doubly exponentially, so the trapezoidal rule converges geometrically in the step size.
 */
export function besselKScaled(nu: number, x: number): number {
  const tMax = Math.acosh(1 + 746 / x);
  const h = Math.min(0.02, tMax / 64);
  let sum = 0.5; // t = 0: exp(0)·cosh(0), half weight
  for (let t = h; t <= tMax; t += h) {
    sum += Math.exp(-x * (Math.cosh(t) - 1)) * Math.cosh(nu * t);
  }
  return sum * h;
}
