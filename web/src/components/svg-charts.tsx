import { useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { formatNumber, scaleAxis, type Axis } from '../lib/chart-data';
import { SERIES_COLORS } from './line-chart';

export interface ScatterPoint {
  readonly label: string;
  readonly x: string | number | undefined;
  readonly y: number | undefined;
  /** What a brush reports (a run id); without it the point cannot be brushed. */
  readonly id?: string;
  readonly color?: string;
}

/**
 * Brushing: the ids inside the brush, or undefined when the brush is cleared (a click without a drag).
 * `selected` dims the points or lines not in it.
 */
export interface Brushable {
  readonly onBrush?: (ids: string[] | undefined) => void;
  readonly selected?: ReadonlySet<string> | undefined;
  /** The current brush is this chart's own (so its rectangle or axis ranges are drawn). */
  readonly brushed?: boolean;
}

const W = 640;
const H = 360;
const M = { top: 16, right: 24, bottom: 48, left: 72 };
const EMPTY_RANGES: ReadonlyMap<number, readonly [number, number]> = new Map();
/** A drag shorter than this (in chart units) is a click: it clears the brush. */
const CLICK = 4;

/** The pointer's position in the SVG's viewBox units. */
function svgPoint(e: ReactPointerEvent<Element>, svg: SVGSVGElement | null, width: number, height: number) {
  const r = svg?.getBoundingClientRect();
  if (!r || r.width === 0 || r.height === 0) return { x: 0, y: 0 };
  return { x: ((e.clientX - r.left) * width) / r.width, y: ((e.clientY - r.top) * height) / r.height };
}

/** A param or metric (x, numeric or categorical) against a metric (y); each point is a run. Drag a rectangle to brush. */
export function ScatterPlot({ points, xLabel, yLabel, onBrush, selected, brushed = false }: { points: readonly ScatterPoint[]; xLabel: string; yLabel: string } & Brushable) {
  const svg = useRef<SVGSVGElement>(null);
  const [drawn, setRect] = useState<{ x0: number; y0: number; x1: number; y1: number; dragging: boolean }>();
  const rect = drawn?.dragging || brushed ? drawn : undefined;
  const usable = points.filter((p) => p.x !== undefined && p.y !== undefined && Number.isFinite(p.y));
  if (usable.length === 0) return <p>No run has both {xLabel} and {yLabel}.</p>;
  const xs: Axis & { log?: true } = logScaled(usable.map((p) => p.x)) ?? scaleAxis(usable.map((p) => p.x));
  const ys: Axis & { log?: true } = scaleAxis(usable.map((p) => p.y));
  const px = (t: number) => M.left + t * (W - M.left - M.right);
  const py = (t: number) => H - M.bottom - t * (H - M.top - M.bottom);
  const brush = onBrush
    ? {
        onPointerDown: (e: ReactPointerEvent<SVGSVGElement>) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          const p = svgPoint(e, svg.current, W, H);
          setRect({ x0: p.x, y0: p.y, x1: p.x, y1: p.y, dragging: true });
        },
        onPointerMove: (e: ReactPointerEvent<SVGSVGElement>) => {
          if (!rect?.dragging) return;
          const p = svgPoint(e, svg.current, W, H);
          setRect({ ...rect, x1: p.x, y1: p.y });
        },
        onPointerUp: (e: ReactPointerEvent<SVGSVGElement>) => {
          if (!rect?.dragging) return;
          const p = svgPoint(e, svg.current, W, H);
          const [x0, x1] = [Math.min(rect.x0, p.x), Math.max(rect.x0, p.x)];
          const [y0, y1] = [Math.min(rect.y0, p.y), Math.max(rect.y0, p.y)];
          if (x1 - x0 < CLICK && y1 - y0 < CLICK) {
            setRect(undefined);
            onBrush(undefined);
            return;
          }
          setRect({ x0, y0, x1, y1, dragging: false });
          onBrush(usable.flatMap((q, i) => {
            const cx = px(xs.position[i]!);
            const cy = py(ys.position[i]!);
            return q.id !== undefined && cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1 ? [q.id] : [];
          }));
        },
      }
    : {};
  return (
    <svg ref={svg} className={`svg-chart${onBrush ? ' brushable' : ''}`} viewBox={`0 0 ${W} ${H}`} width="100%" style={{ maxWidth: W }} role="img"
      aria-label={`Scatter of ${yLabel} against ${xLabel}${xs.log ? ', x on a log scale' : ''}${ys.log ? ', y on a log scale' : ''}`} data-testid="scatter" {...brush}>
      <line className="axis" x1={M.left} y1={H - M.bottom} x2={W - M.right} y2={H - M.bottom} />
      <line className="axis" x1={M.left} y1={M.top} x2={M.left} y2={H - M.bottom} />
      {xs.ticks.map((t) => <text key={`x${t.label}`} x={px(t.at)} y={H - M.bottom + 16} textAnchor="middle">{t.label}</text>)}
      {ys.ticks.map((t) => <text key={`y${t.label}`} x={M.left - 6} y={py(t.at) + 4} textAnchor="end">{t.label}</text>)}
      <text x={(M.left + W - M.right) / 2} y={H - 8} textAnchor="middle">{xLabel}{xs.log ? ' (log)' : ''}</text>
      <text x={14} y={(M.top + H - M.bottom) / 2} textAnchor="middle" transform={`rotate(-90 14 ${(M.top + H - M.bottom) / 2})`}>{yLabel}{ys.log ? ' (log)' : ''}</text>
      {usable.map((p, i) => {
        const dim = selected !== undefined && (p.id === undefined || !selected.has(p.id));
        return (
          <circle key={p.id ?? i} cx={px(xs.position[i]!)} cy={py(ys.position[i]!)} r={5} fill={p.color ?? SERIES_COLORS[i % SERIES_COLORS.length]}
            fillOpacity={dim ? 0.15 : 0.85} data-testid="scatter-point" data-brushed={selected ? String(!dim) : undefined}>
            <title>{`${p.label}: ${xLabel} = ${String(p.x)}, ${yLabel} = ${formatNumber(p.y!)}`}</title>
          </circle>
        );
      })}
      {rect ? <rect className="brush" x={Math.min(rect.x0, rect.x1)} y={Math.min(rect.y0, rect.y1)} width={Math.abs(rect.x1 - rect.x0)} height={Math.abs(rect.y1 - rect.y0)} data-testid="brush" /> : null}
    </svg>
  );
}

/**
 * A param searched on a log scale (learning rates 1e-4 … 1e-1) crowds into one corner of a linear axis: numbers
 * that are all positive and span at least a factor of ten go on a log axis, the ticks still in the values' units.
 * Missing values are left off the axis (position null), as scaleAxis does.
 */
export function logScaled(values: readonly (string | number | undefined)[]): (Axis & { log: true }) | undefined {
  const nums = values.map((v) => (v === undefined || v === '' ? undefined : Number(v)));
  const present = nums.filter((n): n is number => n !== undefined);
  if (present.length < 2 || present.some((n) => !Number.isFinite(n) || n <= 0)) return undefined;
  const min = Math.min(...present);
  const max = Math.max(...present);
  if (max / min < 10) return undefined;
  const lo = Math.log10(min);
  const hi = Math.log10(max);
  const at = (v: number) => (Math.log10(v) - lo) / (hi - lo);
  const decades = Array.from({ length: Math.floor(hi) - Math.ceil(lo) + 1 }, (_, i) => 10 ** (Math.ceil(lo) + i));
  const ticks = [...new Set([min, ...decades, max])].map((v) => ({ label: formatNumber(v), at: at(v) }));
  return { kind: 'numeric', position: nums.map((n) => (n === undefined ? null : at(n))), ticks, log: true };
}

export interface ParallelLine {
  readonly label: string;
  readonly values: readonly (string | number | undefined)[];
  /** A colour of its own (else one by position), and a dashed line (a run stopped early, say). */
  readonly color?: string;
  readonly dashed?: boolean;
  /** What a brush reports (a run id). */
  readonly id?: string;
}

/**
 * One vertical axis per dimension, one polyline per run; a run missing a value breaks its line there. Positive
 * numbers spanning a factor of ten or more (a learning rate) get a log axis. With `onBrush`, dragging along an
 * axis keeps the lines crossing it in that range; ranges on several axes all apply; a click on an axis clears its range.
 */
export function ParallelCoordinates({ dimensions, lines, onBrush, selected, brushed = false }: { dimensions: readonly string[]; lines: readonly ParallelLine[] } & Brushable) {
  const svg = useRef<SVGSVGElement>(null);
  const [kept, setRanges] = useState<ReadonlyMap<number, readonly [number, number]>>(new Map());
  // Another chart's brush (or none) replaces this one's ranges.
  const ranges = brushed ? kept : EMPTY_RANGES;
  const [drag, setDrag] = useState<{ d: number; t0: number; t1: number }>();
  if (dimensions.length < 2) return <p>Choose at least two parameters or metrics.</p>;
  const width = Math.max(W, dimensions.length * 140);
  const axes = dimensions.map((_, d) => { const vs = lines.map((l) => l.values[d]); return logScaled(vs) ?? scaleAxis(vs); });
  const ax = (d: number) => 60 + (d * (width - 120)) / (dimensions.length - 1);
  const top = M.top + 20;
  const bottom = H - M.bottom;
  const ay = (t: number) => bottom - t * (bottom - top);
  const tAt = (y: number) => Math.min(1, Math.max(0, (bottom - y) / (bottom - top)));
  const finish = (d: number, t0: number, t1: number) => {
    const next = new Map(ranges);
    if (Math.abs(ay(t0) - ay(t1)) < CLICK) next.delete(d);
    else next.set(d, [Math.min(t0, t1), Math.max(t0, t1)]);
    setRanges(next);
    if (!onBrush) return;
    if (next.size === 0) return onBrush(undefined);
    onBrush(lines.flatMap((l, i) => {
      const inside = [...next].every(([dim, [lo, hi]]) => {
        const t = axes[dim]!.position[i];
        return t !== null && t !== undefined && t >= lo - 1e-9 && t <= hi + 1e-9;
      });
      return inside && l.id !== undefined ? [l.id] : [];
    }));
  };
  return (
    <svg ref={svg} className={`svg-chart${onBrush ? ' brushable' : ''}`} viewBox={`0 0 ${width} ${H}`} width="100%" style={{ maxWidth: width }} role="img"
      aria-label={`Parallel coordinates over ${dimensions.map((d, i) => (axes[i] && 'log' in axes[i] ? `${d} (log scale)` : d)).join(', ')}`} data-testid="parallel">
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
        const dim = selected !== undefined && (l.id === undefined || !selected.has(l.id));
        return (
          <path key={l.id ?? i} d={segments.join(' ')} fill="none" stroke={l.color ?? SERIES_COLORS[i % SERIES_COLORS.length]} strokeWidth={2} strokeOpacity={dim ? 0.12 : 0.85}
            {...(l.dashed ? { strokeDasharray: '5 4' } : {})} data-testid="parallel-line" data-brushed={selected ? String(!dim) : undefined}>
            <title>{l.label}</title>
          </path>
        );
      })}
      {axes.map((a, d) => {
        const range = drag?.d === d ? ([Math.min(drag.t0, drag.t1), Math.max(drag.t0, drag.t1)] as const) : ranges.get(d);
        return (
          <g key={dimensions[d]}>
            <line className="axis" x1={ax(d)} x2={ax(d)} y1={ay(0)} y2={ay(1)} />
            <text x={ax(d)} y={H - 12} textAnchor="middle">{dimensions[d]}{'log' in a ? ' (log)' : ''}</text>
            {a.ticks.slice(0, 12).map((t) => <text key={t.label} x={ax(d) + 5} y={ay(t.at) + 4}>{t.label}</text>)}
            {range ? <rect className="brush" x={ax(d) - 8} width={16} y={ay(range[1])} height={ay(range[0]) - ay(range[1])} data-testid="brush" /> : null}
            {onBrush ? (
              <rect className="brush-zone" x={ax(d) - 12} width={24} y={ay(1) - 6} height={ay(0) - ay(1) + 12} fill="transparent" data-testid="brush-zone"
                onPointerDown={(e) => {
                  e.currentTarget.setPointerCapture(e.pointerId);
                  const t = tAt(svgPoint(e, svg.current, width, H).y);
                  setDrag({ d, t0: t, t1: t });
                }}
                onPointerMove={(e) => { if (drag?.d === d) setDrag({ ...drag, t1: tAt(svgPoint(e, svg.current, width, H).y) }); }}
                onPointerUp={(e) => {
                  if (drag?.d !== d) return;
                  setDrag(undefined);
                  finish(d, drag.t0, tAt(svgPoint(e, svg.current, width, H).y));
                }} />
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}
