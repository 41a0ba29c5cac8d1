import type { ViewSummary } from '../../api/features';
import { formatDuration } from '../../lib/format';

const UNITS: [string, number][] = [['w', 604_800], ['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];

/** A TTL as it is written in feature_repo files: the largest unit that divides it (`7d`, `90m`), or `never expires`. */
export const formatTtl = (seconds: number) => {
  if (seconds === 0) return 'never expires';
  const [unit, size] = UNITS.find(([, n]) => seconds % n === 0)!;
  return `${seconds / size}${unit}`;
};

/** How old the online values are against the TTL: FRESH, STALE (withheld when read), or never materialized. */
export function Freshness({ view }: { view: ViewSummary }) {
  if (view.materializedUntil === undefined) return <span className="badge status-stale" title="run openexpert features materialize">NOT MATERIALIZED</span>;
  const age = formatDuration((view.stalenessSeconds ?? 0) * 1000);
  return view.stale
    ? <span className="badge status-stale" title={`older than the TTL (${formatTtl(view.ttlSeconds)}): served as OUTSIDE_MAX_AGE`}>STALE · {age} old</span>
    : <span className="badge status-fresh">FRESH · {age} old</span>;
}
