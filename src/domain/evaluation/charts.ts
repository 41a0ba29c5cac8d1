/**
 * Inline SVG charts for the evaluation report and the model card: no script and no network, so a
 * report opens offline and can be archived as one file.
 */
import type { CalibrationBin, CurvePoint, Estimate } from './types.js';
import { esc } from '../../core/html.js';


export const fmt = (v: number | null | undefined, digits = 4): string => {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (Number.isInteger(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
};

const W = 320;
const H = 240;
const PAD = { left: 40, right: 10, top: 10, bottom: 34 };
const plotW = W - PAD.left - PAD.right;
const plotH = H - PAD.top - PAD.bottom;
const px = (x: number) => (PAD.left + x * plotW).toFixed(1);
const py = (y: number) => (PAD.top + plotH - y * plotH).toFixed(1);
const COLORS = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d'];

/** A chart with its title shown above it (not only in the accessible label), so a printed card still says what each chart is. */
const titled = (title: string, svg: string) => `<figure class="chart-figure"><figcaption>${esc(title.charAt(0).toUpperCase() + title.slice(1))}</figcaption>${svg}</figure>`;

function frame(label: string, xLabel: string, yLabel: string, body: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return titled(label, `<svg class="chart" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">`
    + `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" class="plot"/>`
    + ticks.map((t) => `<text x="${px(t)}" y="${H - 20}" text-anchor="middle">${t}</text><text x="${PAD.left - 4}" y="${Number(py(t)) + 4}" text-anchor="end">${t}</text>`).join('')
    + `<text x="${PAD.left + plotW / 2}" y="${H - 4}" text-anchor="middle">${esc(xLabel)}</text>`
    + `<text x="10" y="${PAD.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 10 ${PAD.top + plotH / 2})">${esc(yLabel)}</text>`
    + body + '</svg>');
}

const polyline = (points: readonly { x: number; y: number }[], color: string, dashed = false) =>
  `<polyline fill="none" stroke="${color}" stroke-width="1.6"${dashed ? ' stroke-dasharray="4 3"' : ''} points="${points.map((p) => `${px(p.x)},${py(p.y)}`).join(' ')}"/>`;

function legend(names: readonly string[]): string {
  return names.map((n, i) => `<text x="${PAD.left + 6}" y="${PAD.top + 14 + i * 13}" fill="${COLORS[i % COLORS.length]}">${esc(n)}</text>`).join('');
}

export function rocChart(curves: Readonly<Record<string, readonly CurvePoint[]>>, title = 'ROC curve'): string {
  const names = Object.keys(curves);
  const lines = names.map((n, i) => polyline(curves[n]!, COLORS[i % COLORS.length]!)).join('');
  return frame(title, 'false positive rate', 'true positive rate', polyline([{ x: 0, y: 0 }, { x: 1, y: 1 }], '#999', true) + lines + (names.length > 1 ? legend(names) : ''));
}

export function calibrationChart(bins: readonly CalibrationBin[], title = 'calibration curve'): string {
  const points = bins.map((b) => ({ x: b.meanPredicted, y: b.fractionPositive }));
  const dots = points.map((p) => `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="2.5" fill="${COLORS[0]}"/>`).join('');
  return frame(title, 'mean predicted probability', 'fraction of positives', polyline([{ x: 0, y: 0 }, { x: 1, y: 1 }], '#999', true) + polyline(points, COLORS[0]!) + dots);
}

/** Horizontal bars with their interval as whiskers, one per group; values are rates in [0, 1]. */
export function groupBars(title: string, bars: readonly { label: string; estimate: Estimate }[]): string {
  const row = 18;
  const left = 110;
  const width = 200;
  const h = bars.length * row + 30;
  const x = (v: number) => (left + Math.max(0, Math.min(1, v)) * width).toFixed(1);
  const body = bars.map((b, i) => {
    const y = 8 + i * row;
    const e = b.estimate;
    const label = `<text x="${left - 4}" y="${y + 11}" text-anchor="end">${esc(b.label.length > 16 ? `${b.label.slice(0, 15)}…` : b.label)}</text>`;
    if (e.value === null) return `${label}<text x="${left + 4}" y="${y + 11}" class="na">undefined</text>`;
    const bar = `<rect x="${left}" y="${y + 2}" width="${(Number(x(e.value)) - left).toFixed(1)}" height="${row - 6}" fill="${COLORS[0]}"><title>${esc(b.label)}: ${fmt(e.value)}</title></rect>`;
    const whisker = e.ci ? `<line x1="${x(e.ci.lower)}" x2="${x(e.ci.upper)}" y1="${y + row / 2 - 1}" y2="${y + row / 2 - 1}" stroke="#111" stroke-width="1.2"/>` : '';
    return label + bar + whisker + `<text x="${left + width + 4}" y="${y + 11}">${fmt(e.value, 3)}</text>`;
  }).join('');
  const axis = [0, 0.5, 1].map((t) => `<text x="${x(t)}" y="${h - 6}" text-anchor="middle">${t}</text>`).join('');
  return titled(title, `<svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${left + width + 50} ${h}" width="${left + width + 50}" height="${h}">${body}${axis}</svg>`);
}

export const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#111}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}.chart{font:10px sans-serif;margin:.5rem 1rem .5rem 0}.chart .plot{fill:none;stroke:#ccc}
.charts{display:flex;flex-wrap:wrap}.ok{color:#047857}.bad{color:#b91c1c;font-weight:600}.na{color:#6b7280}.note{color:#374151}
.human{background:#fffbeb;border-left:3px solid #f59e0b;padding:.3rem .6rem}
.chart-figure{margin:.5rem 1rem .5rem 0}.chart-figure figcaption{font-weight:600;font-size:13px;margin-bottom:.2rem}
.warning{background:#fef2f2;border-left:3px solid #b91c1c;padding:.3rem .6rem}`;
