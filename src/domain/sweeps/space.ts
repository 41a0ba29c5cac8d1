import { invalid } from '../../core/errors.js';
import type { Condition, ParamSpec, ParamValue, Params, SearchSpace } from './types.js';

/** The most grid points a sweep may enumerate. */
export const MAX_GRID = 100_000;

/** Checks what the schema cannot: ranges, steps, conditions naming earlier parameters with values they can take. */
export function checkSpace(space: SearchSpace): void {
  const seen = new Map<string, ParamSpec>();
  for (const p of space) {
    const at = `parameters.${p.name}`;
    if (p.type !== 'categorical') {
      if (!(p.min < p.max) && !(p.type === 'int' && p.min === p.max)) throw invalid(`Invalid value for parameter '${at}': min must be below max`);
      if (p.type === 'int' && (p.max - p.min) % p.step !== 0) throw invalid(`Invalid value for parameter '${at}': max − min must be a multiple of step`);
      if (p.type === 'int' && p.log && (p.min < 1 || p.step !== 1)) throw invalid(`Invalid value for parameter '${at}': a log int needs min ≥ 1 and step 1`);
    } else if (new Set(p.values.map((v) => JSON.stringify(v))).size !== p.values.length) {
      throw invalid(`Invalid value for parameter '${at}.values': values must be distinct`);
    }
    for (const [other, values] of Object.entries(p.when ?? {})) {
      const ref = seen.get(other);
      if (!ref) throw invalid(`Invalid value for parameter '${at}.when': '${other}' must be a parameter declared before '${p.name}'`);
      for (const v of values) {
        if (!canTake(ref, v)) throw invalid(`Invalid value for parameter '${at}.when.${other}': ${JSON.stringify(v)} is not a value '${other}' can take`);
      }
    }
    seen.set(p.name, p);
  }
}

function canTake(p: ParamSpec, v: ParamValue): boolean {
  if (p.type === 'categorical') return p.values.some((x) => x === v);
  if (typeof v !== 'number') return false;
  return v >= p.min && v <= p.max && (p.type !== 'int' || (v - p.min) % p.step === 0);
}

/** A parameter is active when its condition holds on the values chosen so far (an inactive parameter never matches). */
export function isActive(when: Condition | undefined, chosen: Params): boolean {
  if (!when) return true;
  return Object.entries(when).every(([name, values]) => name in chosen && values.some((v) => v === chosen[name]));
}

/**
 * One parameter drawn uniformly, as Optuna's RandomSampler does: floats uniform on [min, max] (on the log scale for
 * log_uniform), integers uniform on [min − step/2, max + step/2] and rounded to the step, categories equally likely.
 */
export function sampleUniform(p: ParamSpec, random: () => number): ParamValue {
  switch (p.type) {
    case 'uniform': return p.min + random() * (p.max - p.min);
    case 'log_uniform': return Math.exp(Math.log(p.min) + random() * (Math.log(p.max) - Math.log(p.min)));
    case 'int': {
      const lo = p.min - p.step / 2;
      const hi = p.max + p.step / 2;
      const x = p.log ? Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo))) : lo + random() * (hi - lo);
      return roundToStep(x, p.min, p.max, p.step);
    }
    case 'categorical': return p.values[Math.min(p.values.length - 1, Math.floor(random() * p.values.length))]!;
  }
}

export const roundToStep = (x: number, min: number, max: number, step: number) => Math.min(max, Math.max(min, min + Math.round((x - min) / step) * step));

/** Every parameter that is active, drawn in declaration order by `draw`. */
export function sampleParams(space: SearchSpace, draw: (p: ParamSpec, chosen: Params) => ParamValue): Params {
  const chosen: Record<string, ParamValue> = {};
  for (const p of space) if (isActive(p.when, chosen)) chosen[p.name] = draw(p, chosen);
  return chosen;
}

/** The values grid search takes for one parameter. */
export function gridValues(p: ParamSpec): ParamValue[] {
  switch (p.type) {
    case 'categorical': return [...p.values];
    case 'int': {
      const out: number[] = [];
      for (let v = p.min; v <= p.max; v += p.step) out.push(v);
      return out;
    }
    case 'uniform': case 'log_uniform': {
      if (p.gridPoints === undefined) throw invalid(`Invalid value for parameter 'parameters.${p.name}': grid search needs gridPoints for a ${p.type} parameter`);
      const k = p.gridPoints;
      if (k === 1) return [p.type === 'uniform' ? (p.min + p.max) / 2 : Math.sqrt(p.min * p.max)];
      const [lo, hi] = p.type === 'uniform' ? [p.min, p.max] : [Math.log(p.min), Math.log(p.max)];
      return Array.from({ length: k }, (_, i) => {
        const x = i === k - 1 ? hi : lo + (i * (hi - lo)) / (k - 1);
        return p.type === 'uniform' ? x : i === 0 ? p.min : i === k - 1 ? p.max : Math.exp(x);
      });
    }
  }
}

/**
 * The grid: every combination of the active parameters' values, the first parameter varying slowest (as
 * itertools.product); a conditional parameter multiplies only the branches where it is active.
 */
export function enumerateGrid(space: SearchSpace): Params[] {
  const values = space.map(gridValues);
  const out: Params[] = [];
  const walk = (i: number, chosen: Record<string, ParamValue>): void => {
    if (out.length > MAX_GRID) throw invalid(`Invalid value for parameter 'parameters': the grid has more than ${MAX_GRID} points`);
    if (i === space.length) {
      out.push({ ...chosen });
      return;
    }
    const p = space[i]!;
    if (!isActive(p.when, chosen)) return walk(i + 1, chosen);
    for (const v of values[i]!) walk(i + 1, { ...chosen, [p.name]: v });
  };
  walk(0, {});
  return out;
}
