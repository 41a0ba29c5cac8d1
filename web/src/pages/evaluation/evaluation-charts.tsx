import type { CalibrationBin, CurvePoint, ThresholdRow } from '../../../../src/domain/evaluation/types';
import type { FairnessCheck } from '../../api/evaluation';
import { SERIES_COLORS } from '../../components/line-chart';
import { formatNumber } from '../../lib/chart-data';

const W = 420;
const H = 320;
const M = { top: 12, right: 16, bottom: 44, left: 52 };
const px = (t: number) => M.left + t * (W - M.left - M.right);
const py = (t: number) => H - M.bottom - t * (H - M.top - M.bottom);
const TICKS = [0, 0.25, 0.5, 0.75, 1];

interface Line {
  readonly label: string;
  readonly points: readonly { x: number; y: number }[];
  readonly dashed?: boolean;
}

/** Lines over the unit square (rates, probabilities), with a legend; a dashed diagonal where chance lies. */
export function UnitChart({ title, xLabel, yLabel, lines, diagonal = false, testId }: { title: string; xLabel: string; yLabel: string; lines: readonly Line[]; diagonal?: boolean; testId?: string }) {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return (
    <figure className="chart-card" style={{ margin: 0 }}>
      <svg className="svg-chart" viewBox={`0 0 ${W} ${H}`} width="100%" style={{ maxWidth: W }} role="img" aria-label={title} data-testid={testId}>
        <line className="axis" x1={px(0)} y1={py(0)} x2={px(1)} y2={py(0)} />
        <line className="axis" x1={px(0)} y1={py(0)} x2={px(0)} y2={py(1)} />
        {TICKS.map((t) => <text key={`x${t}`} x={px(t)} y={py(0) + 14} textAnchor="middle">{t}</text>)}
        {TICKS.map((t) => <text key={`y${t}`} x={px(0) - 6} y={py(t) + 4} textAnchor="end">{t}</text>)}
        <text x={(px(0) + px(1)) / 2} y={H - 8} textAnchor="middle">{xLabel}</text>
        <text x={12} y={(py(0) + py(1)) / 2} textAnchor="middle" transform={`rotate(-90 12 ${(py(0) + py(1)) / 2})`}>{yLabel}</text>
        {diagonal ? <line className="axis" x1={px(0)} y1={py(0)} x2={px(1)} y2={py(1)} strokeDasharray="4 4" /> : null}
        {lines.map((l, i) => (
          <path key={l.label} d={l.points.map((p, j) => `${j ? 'L' : 'M'}${px(clamp(p.x)).toFixed(1)},${py(clamp(p.y)).toFixed(1)}`).join('')}
            fill="none" stroke={SERIES_COLORS[i % SERIES_COLORS.length]} strokeWidth={2} {...(l.dashed ? { strokeDasharray: '6 3' } : {})} data-testid="curve">
            <title>{l.label}</title>
          </path>
        ))}
      </svg>
      <figcaption className="legend">
        <strong>{title}</strong>{' '}
        {lines.map((l, i) => <span key={l.label} className="legend-item"><span className="swatch" style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }} aria-hidden="true" />{l.label}</span>)}
      </figcaption>
    </figure>
  );
}

export const curveLines = (curves: Readonly<Record<string, readonly CurvePoint[]>>): Line[] =>
  Object.entries(curves).map(([label, points]) => ({ label, points }));

export function CalibrationChart({ bins }: { bins: readonly CalibrationBin[] }) {
  const used = bins.filter((b) => b.count > 0);
  return <UnitChart title="Calibration" xLabel="Mean predicted probability" yLabel="Fraction positive" diagonal testId="calibration" lines={[{ label: 'model', points: used.map((b) => ({ x: b.meanPredicted, y: b.fractionPositive })) }]} />;
}

export function ThresholdChart({ rows }: { rows: readonly ThresholdRow[] }) {
  const series = (label: string, get: (r: ThresholdRow) => number | null): Line => ({
    label, points: rows.flatMap((r) => { const v = get(r); return v === null ? [] : [{ x: r.threshold, y: v }]; }),
  });
  return (
    <UnitChart title="Threshold sweep" xLabel="Threshold" yLabel="Score" testId="threshold-sweep"
      lines={[series('precision', (r) => r.precision), series('recall', (r) => r.recall), series('F1', (r) => r.f1), series('selection rate', (r) => r.selectionRate)]} />
  );
}

/** A table (so it reads out row by row) whose cells are shaded by their share of the row: the recall per true class. */
export function ConfusionHeatmap({ labels, matrix }: { labels: readonly string[]; matrix: readonly (readonly number[])[] }) {
  return (
    <table className="grid heatmap" data-testid="confusion-matrix">
      <caption className="muted">Confusion matrix: rows are the true class, columns the predicted class; shading is the share of the row</caption>
      <thead><tr><th scope="col">true \ predicted</th>{labels.map((l) => <th key={l} scope="col">{l}</th>)}</tr></thead>
      <tbody>
        {matrix.map((row, i) => {
          const total = row.reduce((a, b) => a + b, 0);
          return (
            <tr key={labels[i]}>
              <th scope="row">{labels[i]}</th>
              {row.map((n, j) => {
                const share = total ? n / total : 0;
                return <td key={j} className="num" style={{ background: `color-mix(in srgb, var(--accent) ${Math.round(share * 70)}%, transparent)`, color: share > 0.75 ? 'var(--accent-fg)' : undefined }} title={`${formatNumber(share * 100)} % of true ${labels[i]}`}>{n.toLocaleString('en-US')}</td>;
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Ratio checks as bars on a log scale around 1, with the four-fifths band (0.8–1.25) shaded: inside passes. */
export function FairnessBars({ checks }: { checks: readonly FairnessCheck[] }) {
  const ratios = checks.filter((c) => c.value !== null && c.value > 0 && c.convention.toLowerCase().includes('ratio'));
  if (ratios.length === 0) return null;
  const lo = Math.log(0.25);
  const hi = Math.log(4);
  const bx = (v: number) => 160 + ((Math.log(Math.min(4, Math.max(0.25, v))) - lo) / (hi - lo)) * 240;
  const rowH = 26;
  const height = 30 + ratios.length * rowH;
  return (
    <svg className="svg-chart" viewBox={`0 0 ${W} ${height}`} width="100%" style={{ maxWidth: W }} role="img" aria-label="Fairness ratios against the 0.8 to 1.25 band" data-testid="fairness-bars">
      <rect x={bx(0.8)} y={4} width={bx(1.25) - bx(0.8)} height={height - 24} fill="var(--accent)" fillOpacity={0.12} />
      <line className="axis" x1={bx(1)} x2={bx(1)} y1={4} y2={height - 20} />
      {[0.25, 0.5, 0.8, 1, 1.25, 2, 4].map((t) => <text key={t} x={bx(t)} y={height - 6} textAnchor="middle">{t}</text>)}
      {ratios.map((c, i) => {
        const v = c.value!;
        const y = 8 + i * rowH;
        return (
          <g key={`${c.metric}${i}`}>
            <text x={4} y={y + 13}>{c.metric}</text>
            <rect x={Math.min(bx(1), bx(v))} y={y} width={Math.max(2, Math.abs(bx(v) - bx(1)))} height={rowH - 8} fill={c.passed === false ? 'var(--danger)' : SERIES_COLORS[0]}>
              <title>{`${c.metric} = ${formatNumber(v)} (${c.passed === false ? 'outside' : 'inside'} 0.8–1.25)`}</title>
            </rect>
          </g>
        );
      })}
    </svg>
  );
}
