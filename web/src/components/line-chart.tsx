import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { lonePoints, paddedRange } from '../lib/chart-data';
import { useTheme } from './theme';

export const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

export interface LineChartProps {
  /** uPlot's aligned data: x values, then one y array per series. */
  readonly data: [number[], ...(number | null)[][]];
  readonly labels: readonly string[];
  readonly title: string;
  readonly xLabel: string;
  readonly timeAxis?: boolean;
  readonly logScale?: boolean;
  readonly height?: number;
  /** Charts with the same key move one hover cursor together (the chart workspace). */
  readonly syncKey?: string;
  /**
   * Series drawn as a shaded band instead of a line: each pair is the indices (into `labels`) of an upper and a
   * lower series, filled between in the colour of `colorOf` their line (grouped runs' min/max).
   */
  readonly bands?: readonly { readonly upper: number; readonly lower: number; readonly color: string }[];
  /** A colour per series, when not the palette's by position. */
  readonly colors?: readonly string[];
}

/** uPlot draws on a canvas; the figure carries the title for assistive technology. */
/** Beyond this many series the legend would be longer than the chart; the hover cursor still names the values. */
const MAX_LEGEND = 12;

/**
 * A log axis with at most six ticks at powers of ten, written as 1e-8 beyond the plain range: uPlot's own ticks
 * (every mantissa of every decade) fill a p-value axis over 16 decades with grid lines and print its small ones as 0.
 */
const LOG_AXIS: Pick<uPlot.Axis, 'splits' | 'values' | 'filter'> = {
  splits: (_u, _axis, min, max) => {
    if (!(min > 0) || !(max > 0)) return [];
    const lo = Math.floor(Math.log10(min));
    const hi = Math.ceil(Math.log10(max));
    const step = Math.max(1, Math.ceil((hi - lo) / 5));
    const out: number[] = [];
    for (let e = hi; e >= lo; e -= step) out.unshift(10 ** e);
    return out;
  },
  // uPlot's log filter would label only some of them.
  filter: (_u, splits) => splits,
  values: (_u, splits) => splits.map((v) => (v == null ? '' : v >= 1e-3 && v < 1e4 ? String(Number(v.toPrecision(3))) : `1e${Math.round(Math.log10(v))}`)),
};

export function LineChart({ data, labels, title, xLabel, timeAxis = false, logScale = false, height = 240, syncKey, bands, colors }: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const { theme } = useTheme();
  const single = useMemo(() => lonePoints(data, labels), [data, labels]);
  const lone = useMemo(() => new Set(single.map((p) => p.series)), [single]);
  const banded = useMemo(() => new Set(bands?.flatMap((b) => [b.upper, b.lower]) ?? []), [bands]);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--fg-muted').trim() || '#555';
    const grid = css.getPropertyValue('--border').trim() || '#ddd';
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        scales: {
          x: { time: timeAxis, range: (_u, min, max) => paddedRange(min, max) },
          y: logScale ? { distr: 3 } : { range: (_u, min, max) => paddedRange(min, max) },
        },
        axes: [{ ...axis, label: xLabel }, { ...axis, size: 60, ...(logScale ? LOG_AXIS : {}) }],
        series: [{ label: xLabel }, ...labels.map((label, i) => {
          const color = colors?.[i] ?? SERIES_COLORS[i % SERIES_COLORS.length];
          return banded.has(i)
            ? { label, stroke: 'transparent', width: 0, spanGaps: true, points: { show: false } }
            : { label, stroke: color, width: 1.5, spanGaps: true, points: lone.has(i) ? { show: true, size: 9, fill: color } : { show: false } };
        })],
        ...(bands?.length ? { bands: bands.map((b) => ({ series: [b.upper + 1, b.lower + 1] as [number, number], fill: `${b.color}33` })) } : {}),
        legend: { show: labels.length - banded.size <= MAX_LEGEND },
        cursor: { drag: { x: true, y: false }, ...(syncKey ? { sync: { key: syncKey } } : {}) },
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [data, labels, xLabel, timeAxis, logScale, height, theme, lone, syncKey, bands, banded, colors]);
  return (
    <>
      <figure ref={host} aria-label={title} role="img" style={{ margin: 0 }} data-testid="line-chart" />
      {single.length > 0 ? (
        <ul className="muted" data-testid="single-points">
          {single.map((p) => (
            <li key={p.series}>{`${p.label}: ${p.y} at ${xLabel.toLowerCase()} ${timeAxis ? new Date(p.x * 1000).toLocaleString() : p.x} (one point logged)`}</li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
