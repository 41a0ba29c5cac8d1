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
}

/** uPlot draws on a canvas; the figure carries the title for assistive technology. */
export function LineChart({ data, labels, title, xLabel, timeAxis = false, logScale = false, height = 240 }: LineChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const { theme } = useTheme();
  const single = useMemo(() => lonePoints(data, labels), [data, labels]);
  const lone = useMemo(() => new Set(single.map((p) => p.series)), [single]);
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
        axes: [{ ...axis, label: xLabel }, { ...axis, size: 60 }],
        series: [{ label: xLabel }, ...labels.map((label, i) => ({
          label, stroke: SERIES_COLORS[i % SERIES_COLORS.length], width: 1.5, spanGaps: true,
          points: lone.has(i) ? { show: true, size: 9, fill: SERIES_COLORS[i % SERIES_COLORS.length] } : { show: false },
        }))],
        legend: { show: true },
        cursor: { drag: { x: true, y: false } },
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
  }, [data, labels, xLabel, timeAxis, logScale, height, theme, lone]);
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
