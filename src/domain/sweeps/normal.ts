/**
 * The standard normal pieces TPE needs, in log space so that far tails neither underflow nor cancel:
 * erfc by its Taylor series below 3 and by its continued fraction above (both to ~1e-13), the log of a
 * normal's mass between two points, a truncated normal's log density, and inverse-CDF sampling.
 */
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const SQRT2 = Math.SQRT2;

function erfSeries(x: number): number {
  // erf x = 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** log erfc(x) for x ≥ 0. */
function logErfcNonNegative(x: number): number {
  if (x < 3) return Math.log(1 - erfSeries(x));
  // erfc x = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
  let f = x;
  for (let k = 80; k >= 1; k--) f = x + k / 2 / f;
  return -x * x - LOG_SQRT_PI - Math.log(f);
}

/** log Φ(z), Φ the standard normal CDF. */
export function logNdtr(z: number): number {
  if (z < 0) return Math.log(0.5) + logErfcNonNegative(-z / SQRT2);
  return Math.log1p(-0.5 * Math.exp(logErfcNonNegative(z / SQRT2)));
}

export function ndtr(z: number): number {
  return Math.exp(logNdtr(z));
}

/** log(Φ(b) − Φ(a)) for a ≤ b, computed on the side of the mean where it does not cancel. */
export function logGaussMass(a: number, b: number): number {
  if (!(a < b)) return -Infinity;
  if (b <= 0) {
    const lb = logNdtr(b);
    return lb + Math.log1p(-Math.exp(logNdtr(a) - lb));
  }
  if (a >= 0) return logGaussMass(-b, -a);
  // a < 0 < b: 1 − Φ(a) − (1 − Φ(b)), both small tails.
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** Log density at x of N(mu, sigma²) truncated to [low, high]. */
export function truncNormLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  if (x < low || x > high) return -Infinity;
  const z = (x - mu) / sigma;
  return -0.5 * z * z - LOG_SQRT_2PI - Math.log(sigma) - logGaussMass((low - mu) / sigma, (high - mu) / sigma);
}

/** Φ⁻¹(p): Acklam's rational approximation refined by one Halley step. */
export function ndtri(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  const e = ndtr(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** A draw from N(mu, sigma²) truncated to [low, high], by inverting the CDF (from the nearer tail). */
export function sampleTruncNorm(mu: number, sigma: number, low: number, high: number, random: () => number): number {
  let a = (low - mu) / sigma;
  let b = (high - mu) / sigma;
  // Invert in the lower tail, where Φ keeps its precision: mirror when the interval lies above the mean.
  const mirror = a > 0 || (a < 0 && b > 0 && -a > b);
  if (mirror) [a, b] = [-b, -a];
  const pa = ndtr(a);
  const pb = ndtr(b);
  let z = ndtri(pa + random() * (pb - pa));
  z = Math.min(b, Math.max(a, z));
  return mu + sigma * (mirror ? -z : z);
}
