import { notFound } from '../../core/errors.js';
import type { Deployment, ServedVersion } from './types.js';

export interface RouteRequest {
  /** From the sticky header or parameter: the same key always lands on the same side. */
  readonly stickyKey?: string;
  /** The feature-flag header: `stable`, `candidate` or a served version number. */
  readonly flag?: string;
  /** A version named in the URL (`/v2/models/{name}/versions/{version}/infer`). */
  readonly version?: string;
}

export interface RouteChoice {
  readonly served: ServedVersion;
  readonly side: 'stable' | 'candidate';
  /** Shadow rollouts: the candidate also gets this request, and its answer is only compared. */
  readonly mirror?: ServedVersion;
}

/** Share of traffic (0–100) the candidate gets now: served for canary, mirrored for shadow and blue-green before its switch. */
export function candidateWeight(d: Deployment): number {
  const r = d.rollout;
  return r ? (r.steps[r.stepIndex] ?? 0) : 0;
}

/** FNV-1a over the key, scaled to [0, 1): a stable, well-spread draw per key. */
export function stickyUnit(deployment: string, key: string): number {
  let h = 0x811c9dc5;
  const s = `${deployment}\u0000${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}

/** mulberry32: a small seeded generator, so traffic splits are reproducible in tests and benchmarks. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function route(d: Deployment, req: RouteRequest, random: () => number): RouteChoice {
  const candidate = d.rollout?.candidate;
  const pick = (which: string, source: string): RouteChoice => {
    if (which === 'stable' || which === d.stable.version) return { served: d.stable, side: 'stable' };
    if (candidate && (which === 'candidate' || which === candidate.version)) return { served: candidate, side: 'candidate' };
    throw notFound(`Version '${which}' of deployment '${d.name}' (asked by ${source})`);
  };
  if (req.version !== undefined) return pick(req.version, 'the URL');
  if (req.flag !== undefined && req.flag !== '') return pick(req.flag, `header ${d.routing.flagHeader}`);
  if (!candidate || !d.rollout) return { served: d.stable, side: 'stable' };
  const weight = candidateWeight(d);
  const draw = req.stickyKey !== undefined ? stickyUnit(d.name, req.stickyKey) : random();
  // Blue-green mirrors until its checks hold, then switches everything at once (the promotion).
  if (d.rollout.strategy === 'shadow' || d.rollout.strategy === 'blue-green') {
    return draw * 100 < weight ? { served: d.stable, side: 'stable', mirror: candidate } : { served: d.stable, side: 'stable' };
  }
  return draw * 100 < weight ? { served: candidate, side: 'candidate' } : { served: d.stable, side: 'stable' };
}
