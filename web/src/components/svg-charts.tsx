import { formatNumber, scaleAxis } from '../lib/chart-data';
import { SERIES_COLORS } from './line-chart';

export interface ScatterPoint {
  readonly label: string;
  readonly x: string | number | undefined;
  readonly y: number | undefined;
}

const W = 640;
const H = 360;
const M = { top: 16, right: 24, bottom: 48, left: 72 };

/** A param or metric (x, numeric or categorical) against a metric (y); each point is a run. */
export function ScatterPlot({ points, xLabel, yLabel }: { points: readonly ScatterPoint[]; xLabel: string; yLabel: string }) {
  const usable = points.filter((p) => p.x !== undefined && p.y !== undefined && Number.isFinite(p.y));
  if (usable.length === 0) return <p>No run has both {xLabel} and {yLabel}.</p>;
  const xs = logScaled(usable.map((p) => p.x)) ?? scaleAxis(usable.map((p) => p.x));
  const ys = scaleAxis(usable.map((p) => p.y));
  const px = (t: number) => M.left + t * (W - M.left - M.right);
  const py = (t: number) => H - M.bottom - t * (H - M.top - M.bottom);
  return (
    <svg className="svg-chart" viewBox={`0 0 ${W} ${H}`} width="100%" style={{ maxWidth: W }} role="img" aria-label={`Scatter of ${yLabel} against ${xLabel}`} data-testid="scatter">
      <line className="axis" x1={M.left} y1={H - M.bottom} x2={W - M.right} y2={H - M.bottom} />
      <line className="axis" x1={M.left} y1={M.top} x2={M.left} y2={H - M.bottom} />
      {xs.ticks.map((t) => <text key={`x${t.label}`} x={px(t.at)} y={H - M.bottom + 16} textAnchor="middle">{t.label}</text>)}
      {ys.ticks.map((t) => <text key={`y${t.label}`} x={M.left - 6} y={py(t.at) + 4} textAnchor="end">{t.label}</text>)}
      <text x={(M.left + W - M.right) / 2} y={H - 8} textAnchor="middle">{xLabel}</text>
      <text x={14} y={(M.top + H - M.bottom) / 2} textAnchor="middle" transform={`rotate(-90 14 ${(M.top + H - M.bottom) / 2})`}>{yLabel}</text>
      {usable.map((p, i) => (
        <circle key={i} cx={px(xs.position[i]!)} cy={py(ys.position[i]!)} r={5} fill={SERIES_COLORS[i % SERIES_COLORS.length]} fillOpacity={0.85}>
          <title>{`${p.label}: ${xLabel} = ${String(p.x)}, ${yLabel} = ${formatNumber(p.y!)}`}</title>
        </circle>
      ))}
    </svg>
  );
}

/**
 * A param searched on a log scale (learning rates 1e-4 … 1e-1) crowds into one corner of a linear axis: numbers
 * that are all positive and span at least a factor of ten go on a log axis, the ticks still in the values' units.
 */
export function logScaled(values: readonly (string | number | undefined)[]): ReturnType<typeof scaleAxis> | undefined {
  const nums = values.map((v) => (v === undefined || v === '' ? NaN : Number(v)));
  if (nums.some((n) => !Number.isFinite(n) || n <= 0)) return undefined;
  if (Math.max(...nums) / Math.min(...nums) < 10) return undefined;
  const lo = Math.log10(Math.min(...nums));
  const hi = Math.log10(Math.max(...nums));
  const at = (v: number) => (Math.log10(v) - lo) / (hi - lo);
  const decades = Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => 10 ** (Math.ceil(lo) + i));
  const ticks = [...new Set([10 ** lo, ...decades, 10 ** hi])].map((v) => ({ label: formatNumber(v), at: at(v) }));
  return { kind: 'numeric', position: nums.map(at), ticks };
}

export interface ParallelLine {
  readonly label: string;
  readonly values: readonly (string | number | undefined)[];
  /** A colour of its own (else one by position), and a dashed line (a run stopped early, say). */
  readonly color?: string;
  readonly dashed?: boolean;
}

/** One vertical axis per dimension, one polyline per run; a run missing a value breaks its line there. */
export function ParallelCoordinates({ dimensions, lines }: { dimensions: readonly string[]; lines: readonly ParallelLine[] }) {
  if (dimensions.length < 2) return <p>Choose at least two parameters or metrics.</p>;
  const width = Math.max(W, dimensions.length * 140);
  const axes = dimensions.map((_, d) => scaleAxis(lines.map((l) => l.values[d])));
  const ax = (d: number) => 60 + (d * (width - 120)) / (dimensions.length - 1);
  const ay = (t: number) => H - M.bottom - t * (H - M.top - M.bottom - 20);
  return (
    <svg className="svg-chart" viewBox={`0 0 ${width} ${H}`} width="100%" style={{ maxWidth: width }} role="img" aria-label={`Parallel coordinates over ${dimensions.join(', ')}`} data-testid="parallel">
      {lines.map((l, i) => {
        const segments: string[] = [];
        let path = '';
        axes.forEach((a, d) => {
          const t = a.position[i];
          if (t === null || t === undefined) {
            if (path) segments.push(path);
            path = '';
            return;
          }
          path += `${path ? 'L' : 'M'}${ax(d).toFixed(1)},${ay(t).toFixed(1)}`;
        });
        if (path) segments.push(path);
        return (
          <path key={i} d={segments.join(' ')} fill="none" stroke={l.color ?? SERIES_COLORS[i % SERIES_COLORS.length]} strokeWidth={2} strokeOpacity={0.85}
            {...(l.dashed ? { strokeDasharray: '5 4' } : {})} data-testid="parallel-line">
            <title>{l.label}</title>
          </path>
        );
      })}
      {axes.map((a, d) => (
        <g key={dimensions[d]}>
          <line className="axis" x1={ax(d)} x2={ax(d)} y1={ay(0)} y2={ay(1)} />
          <text x={ax(d)} y={H - 12} textAnchor="middle">{dimensions[d]}</text>
          {a.ticks.slice(0, 12).map((t) => <text key={t.label} x={ax(d) + 5} y={ay(t.at) + 4}>{t.label}</text>)}
        </g>
      ))}
    </svg>
  );
}
