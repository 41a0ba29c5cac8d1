import { invalid } from '../../core/errors.js';
import type { KeyValue, Metric } from '../tracking/types.js';
import type { Capture, EnvironmentDifference, MetricComparison } from './types.js';
import type { Tolerance } from './schemas.js';

/** Differences within this relative margin count as equal: a rerun printing the same decimal may differ in the last bit. */
const FLOAT_SLACK = 1e-9;

/** `accuracy=0.01,loss=2%,*=1e-6`: absolute margins, or percentages of the original value. */
export function parseTolerance(text: string): Tolerance {
  const out: Tolerance = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    if (eq <= 0 || raw === '') throw invalid(`Invalid tolerance '${part}': write metric=margin, e.g. accuracy=0.01 or loss=2%`);
    const percent = raw.endsWith('%');
    const value = Number(percent ? raw.slice(0, -1) : raw);
    if (!Number.isFinite(value) || value < 0) throw invalid(`Invalid tolerance for '${key}': '${raw}' is not a non-negative number`);
    out[key] = percent ? { rel: value / 100 } : { abs: value };
  }
  return out;
}

export const formatMargin = (m: Tolerance[string] | undefined): string =>
  m === undefined ? 'exact' : 'abs' in m ? String(m.abs) : `${+(m.rel * 100).toPrecision(12)}%`;

export function formatTolerance(t: Tolerance): string {
  return Object.entries(t).map(([k, m]) => `${k}=${formatMargin(m)}`).join(',');
}

/** Each metric of either run, original against reproduced; a metric missing on one side is never within tolerance. */
export function compareMetrics(original: readonly Metric[], reproduced: readonly Metric[], tolerance: Tolerance): MetricComparison[] {
  const before = new Map(original.map((m) => [m.key, m.value]));
  const after = new Map(reproduced.map((m) => [m.key, m.value]));
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  return keys.map((key) => {
    const o = before.get(key) ?? null;
    const r = after.get(key) ?? null;
    const margin = tolerance[key] ?? tolerance['*'];
    const delta = o !== null && r !== null ? r - o : null;
    const relativeDelta = delta !== null && o !== 0 ? Math.abs(delta) / Math.abs(o!) : null;
    let within = false;
    if (o !== null && r !== null) {
      if (Number.isNaN(o) || Number.isNaN(r)) within = Number.isNaN(o) && Number.isNaN(r);
      else {
        const allowed = margin === undefined ? 0 : 'abs' in margin ? margin.abs : margin.rel * Math.abs(o);
        within = Math.abs(delta!) <= allowed + FLOAT_SLACK * Math.max(1, Math.abs(o));
      }
    }
    return { key, original: o, reproduced: r, delta, relativeDelta, tolerance: formatMargin(margin), withinTolerance: within };
  });
}

/** A capture flattened to the facts worth comparing between two machines. */
function environmentFacts(c: Capture): Map<string, string> {
  const facts = new Map<string, string>();
  const env = c.environment;
  facts.set('os.platform', env.os.platform);
  facts.set('os.release', env.os.release);
  facts.set('os.arch', env.os.arch);
  for (const [k, v] of Object.entries(env.interpreters)) facts.set(`interpreters.${k}`, v);
  for (const [k, v] of Object.entries(env.libraries)) facts.set(`libraries.${k}`, v);
  for (const f of env.lockFiles) facts.set(`lockFiles.${f.path}`, f.sha256);
  for (const f of c.inputs) facts.set(`inputs.${f.path}`, f.sha256);
  for (const d of c.datasets) facts.set(`datasets.${d.name}`, `${d.version} (${d.digest})`);
  for (const [k, v] of Object.entries(c.seeds)) facts.set(`seeds.${k}`, v);
  facts.set('hardware.cpus', String(c.hardware.cpus));
  facts.set('hardware.cpuModel', c.hardware.cpuModel);
  facts.set('hardware.memoryBytes', String(c.hardware.memoryBytes));
  if (c.hardware.gpus.length) facts.set('hardware.gpus', c.hardware.gpus.join(', '));
  if (c.git) {
    facts.set('git.commit', c.git.commit);
    facts.set('git.diff', c.git.diffSha256 ?? 'none');
  }
  facts.set('command', JSON.stringify(c.command));
  return facts;
}

/** Every fact that differs between the original capture and the reproduction's, in name order. */
export function environmentDifferences(original: Capture, reproduced: Capture): EnvironmentDifference[] {
  const a = environmentFacts(original);
  const b = environmentFacts(reproduced);
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort();
  return fields
    .filter((f) => a.get(f) !== b.get(f))
    .map((field) => ({ field, original: a.get(field) ?? null, reproduced: b.get(field) ?? null }));
}


/** Parameters the two runs logged that differ (`params.lr`): a rerun that trained otherwise is not the same experiment. */
export function paramDifferences(original: readonly KeyValue[], reproduced: readonly KeyValue[]): EnvironmentDifference[] {
  const a = new Map(original.map((p) => [p.key, p.value]));
  const b = new Map(reproduced.map((p) => [p.key, p.value]));
  return [...new Set([...a.keys(), ...b.keys()])].sort()
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => ({ field: `params.${k}`, original: a.get(k) ?? null, reproduced: b.get(k) ?? null }));
}
