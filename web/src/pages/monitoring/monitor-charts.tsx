import { useMemo, useState } from 'react';
import { monitoringApi, type AlertEvent, type AlertRule, type ColumnDrift, type WindowDetail } from '../../api/monitoring';
import { LineChart, SERIES_COLORS } from '../../components/line-chart';
import { ErrorMessage, Loading } from '../../components/status';
import { alignSeries, formatNumber } from '../../lib/chart-data';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';

/**
 * A feature's drift score is a p-value (small means drift) or a distance (large means drift), as its test
 * reports it (`scoreKind` in each window's report): the two kinds are charted apart, each on its own axis,
 * p-values on a log scale where the thresholds (0.05 and below) are readable.
 */
/** The lowest p-value drawn: a smaller one (a test certain of drift underflows to 0) sits on this floor. */
const P_VALUE_FLOOR = 1e-16;

export function DriftOverTime({ closed }: { closed: WindowDetail[] }) {
  const chart = useMemo(() => {
    const x = closed.map((w) => w.start / 1000);
    const kindOf = new Map<string, { kind: ColumnDrift['drift']['scoreKind']; threshold: number }>();
    for (const w of closed) {
      for (const c of [...(w.result?.report.columns ?? []), ...(w.result?.report.predictionDrift ? [w.result.report.predictionDrift] : [])]) {
        kindOf.set(c.name, { kind: c.drift.scoreKind, threshold: c.drift.threshold });
      }
    }
    const scoreOf = (w: WindowDetail, name: string) => {
      const c = w.result?.report.columns.find((k) => k.name === name) ?? (w.result?.report.predictionDrift?.name === name ? w.result.report.predictionDrift : undefined);
      return c?.drift.score ?? null;
    };
    const of = (kind: 'p_value' | 'distance') => {
      const names = [...kindOf].filter(([, k]) => k.kind === kind).map(([n]) => n).sort();
      // A p-value of 0 (or 1e-300) has no place on a readable log axis: drawn at the floor instead of dropped.
      const y = (w: WindowDetail, n: string) => { const v = scoreOf(w, n); return v === null ? null : kind === 'p_value' ? Math.max(v, P_VALUE_FLOOR) : v; };
      return { names, labels: names.map((n) => `${n} (threshold ${formatNumber(kindOf.get(n)!.threshold)})`), data: alignSeries(names.map((n) => ({ x, y: closed.map((w) => y(w, n)) }))) };
    };
    return { share: alignSeries([{ x, y: closed.map((w) => w.datasetDriftShare) }]), pValues: of('p_value'), distances: of('distance') };
  }, [closed]);
  if (closed.length === 0) return <><h2>Drift over time</h2><p>No closed windows yet: ingest rows (or close the open window) and each window's tests show up here.</p></>;
  return (
    <>
      <h2>Drift over time</h2>
      <div className="monitor-charts">
        <div className="chart-card" data-testid="drift-share-chart">
          <h3>Share of drifted features</h3>
          <LineChart data={chart.share} labels={['drifted share']} title="Share of drifted features per window" xLabel="Window start" timeAxis height={180} />
        </div>
        {chart.pValues.names.length ? (
          <div className="chart-card" data-testid="p-value-chart">
            <h3>P-values (log scale; below the threshold is drift; under 1e-16 drawn at 1e-16)</h3>
            <LineChart data={chart.pValues.data} labels={chart.pValues.labels} title={`P-values per window of ${chart.pValues.names.join(', ')}`} xLabel="Window start" timeAxis logScale height={220} />
          </div>
        ) : null}
        {chart.distances.names.length ? (
          <div className="chart-card" data-testid="distance-chart">
            <h3>Distances (above the threshold is drift)</h3>
            <LineChart data={chart.distances.data} labels={chart.distances.labels} title={`Distances per window of ${chart.distances.names.join(', ')}`} xLabel="Window start" timeAxis height={220} />
          </div>
        ) : null}
      </div>
    </>
  );
}

const BW = 320;
const BH = 160;
const BM = { top: 8, right: 8, bottom: 36, left: 40 };
const REFERENCE_COLOR = SERIES_COLORS[0]!;
const CURRENT_COLOR = SERIES_COLORS[4]!;

/** Each feature's shares per bin, reference beside current, for a window the user picks (the latest by default). */
export function FeatureHistograms({ closed }: { closed: WindowDetail[] }) {
  const [chosen, setChosen] = useState('');
  const newestFirst = useMemo(() => [...closed].reverse(), [closed]);
  const w = newestFirst.find((x) => x.windowId === chosen) ?? newestFirst[0];
  if (!w?.result) return null;
  const columns = [...w.result.report.columns, ...(w.result.report.predictionDrift ? [w.result.report.predictionDrift] : [])].filter((c) => c.histogram);
  return (
    <>
      <h2>Reference and current, per feature</h2>
      <div className="toolbar">
        <label htmlFor="histogram-window">Window</label>
        <select id="histogram-window" value={w.windowId} onChange={(e) => setChosen(e.target.value)}>
          {newestFirst.map((x) => <option key={x.windowId} value={x.windowId}>{formatTime(x.start)} – {formatTime(x.end)}</option>)}
        </select>
        <span className="legend" aria-hidden="true">
          <span className="legend-item"><span className="swatch" style={{ background: REFERENCE_COLOR }} />reference</span>
          <span className="legend-item"><span className="swatch" style={{ background: CURRENT_COLOR }} />current</span>
        </span>
      </div>
      {columns.length === 0 ? <p>This window's report has no histograms.</p> : (
        <div className="monitor-histograms">
          {columns.map((c) => <Histogram key={c.name} column={c} />)}
        </div>
      )}
    </>
  );
}

function Histogram({ column: c }: { column: ColumnDrift }) {
  const h = c.histogram!;
  const labels = h.kind === 'numeric' ? h.reference.map((_, i) => `${formatNumber(h.edges[i]!)}–${formatNumber(h.edges[i + 1]!)}`) : h.labels;
  const top = Math.max(...h.reference, ...h.current, 1e-9);
  const slot = (BW - BM.left - BM.right) / Math.max(1, labels.length);
  const bar = Math.max(1, slot / 2 - 1);
  const y = (v: number) => BH - BM.bottom - (v / top) * (BH - BM.top - BM.bottom);
  const verdict = c.drift.drifted === null ? 'no verdict' : c.drift.drifted ? 'drifted' : 'no drift';
  const score = c.drift.score === null ? '' : `, ${c.drift.scoreKind === 'p_value' ? 'p-value' : 'distance'} ${formatNumber(c.drift.score)}`;
  return (
    <figure className="chart-card" data-testid="feature-histogram">
      <figcaption><strong className="mono">{c.name}</strong> <span className={c.drift.drifted ? 'check-fail' : 'muted'}>{verdict}</span> <span className="muted">({c.drift.testName}{score})</span></figcaption>
      <svg className="svg-chart" viewBox={`0 0 ${BW} ${BH}`} width="100%" style={{ maxWidth: BW }} role="img"
        aria-label={`${c.name}: shares per ${h.kind === 'numeric' ? 'bin' : 'category'}, reference against current. ${labels.map((l, i) => `${l}: ${formatNumber(h.reference[i]!)} against ${formatNumber(h.current[i]!)}`).join('; ')}`}>
        <line className="axis" x1={BM.left} x2={BW - BM.right} y1={BH - BM.bottom} y2={BH - BM.bottom} />
        <text x={BM.left - 4} y={BM.top + 8} textAnchor="end">{formatNumber(top)}</text>
        <text x={BM.left - 4} y={BH - BM.bottom} textAnchor="end">0</text>
        {labels.map((l, i) => {
          const x0 = BM.left + i * slot;
          return (
            <g key={`${l}${i}`}>
              <rect x={x0 + 1} y={y(h.reference[i]!)} width={bar} height={BH - BM.bottom - y(h.reference[i]!)} fill={REFERENCE_COLOR}><title>{`${l}: reference ${formatNumber(h.reference[i]!)}`}</title></rect>
              <rect x={x0 + 1 + bar} y={y(h.current[i]!)} width={bar} height={BH - BM.bottom - y(h.current[i]!)} fill={CURRENT_COLOR}><title>{`${l}: current ${formatNumber(h.current[i]!)}`}</title></rect>
            </g>
          );
        })}
        {h.kind === 'categorical' || labels.length <= 6
          ? labels.map((l, i) => <text key={`l${l}${i}`} x={BM.left + (i + 0.5) * slot} y={BH - BM.bottom + 14} textAnchor="middle">{l.length > 12 ? `${l.slice(0, 11)}…` : l}</text>)
          : [<text key="lo" x={BM.left} y={BH - BM.bottom + 14}>{formatNumber(h.edges[0]!)}</text>, <text key="hi" x={BW - BM.right} y={BH - BM.bottom + 14} textAnchor="end">{formatNumber(h.edges[h.edges.length - 1]!)}</text>]}
      </svg>
    </figure>
  );
}

const STATE_COLORS: Record<AlertRule['state'], string> = { inactive: 'var(--border)', pending: 'var(--warn)', firing: 'var(--danger)', resolved: 'var(--ok)' };
const TW = 720;
const ROW = 26;
const LABEL = 150;

/**
 * Each alert rule's states over time, one strip per rule, from its state changes (GET /api/v1/alerts/:id):
 * a segment from each change to the next, the last one up to now.
 */
export function AlertTimeline({ rules }: { rules: AlertRule[] }) {
  const events = useApi((signal) => Promise.all(rules.map((r) => monitoringApi.alertEvents(r.ruleId, signal))), [rules.map((r) => r.ruleId).join(',')]);
  const [now] = useState(() => Date.now());
  if (rules.length === 0) return null;
  if (events.error) return <ErrorMessage error={events.error} what="alert history" />;
  if (!events.data) return <Loading what="alert history" />;
  const perRule = events.data;
  const all = perRule.flat();
  if (all.length === 0) return <><h2>Alert timeline</h2><p>No alert has changed state yet.</p></>;
  const start = Math.min(...all.map((e) => e.at));
  const end = Math.max(now, start + 1);
  const x = (t: number) => LABEL + ((t - start) / (end - start)) * (TW - LABEL - 8);
  const segments = (list: AlertEvent[]) => [...list].sort((a, b) => a.at - b.at).map((e, i, sorted) => ({ e, to: sorted[i + 1]?.at ?? end }));
  const height = rules.length * ROW + 24;
  return (
    <>
      <h2>Alert timeline</h2>
      <div className="chart-card">
        <svg className="svg-chart" viewBox={`0 0 ${TW} ${height}`} width="100%" style={{ maxWidth: TW }} role="img" data-testid="alert-timeline"
          aria-label={`Alert states over time. ${rules.map((r, i) => `${r.name}: ${segments(perRule[i]!).map((s) => `${s.e.state}${s.e.silenced ? ' (silenced)' : ''} from ${formatTime(s.e.at)}`).join(', ') || 'no changes'}`).join('. ')}`}>
          {rules.map((r, i) => (
            <g key={r.ruleId}>
              <text x={LABEL - 6} y={i * ROW + 17} textAnchor="end">{r.name.length > 20 ? `${r.name.slice(0, 19)}…` : r.name}</text>
              {segments(perRule[i]!).map(({ e, to }) => (
                <rect key={e.eventId} x={x(e.at)} y={i * ROW + 4} width={Math.max(2, x(to) - x(e.at))} height={ROW - 8} fill={STATE_COLORS[e.state]} fillOpacity={e.silenced ? 0.4 : 1} data-testid="alert-segment" data-state={e.state}>
                  <title>{`${r.name}: ${e.state}${e.silenced ? ' (silenced)' : ''} from ${formatTime(e.at)}${e.value !== null ? `, value ${formatNumber(e.value)}` : ''}`}</title>
                </rect>
              ))}
            </g>
          ))}
          <text x={LABEL} y={height - 4}>{formatTime(start)}</text>
          <text x={TW - 8} y={height - 4} textAnchor="end">now</text>
        </svg>
        <div className="legend" aria-hidden="true">
          {(Object.keys(STATE_COLORS) as AlertRule['state'][]).map((s) => <span key={s} className="legend-item"><span className="swatch" style={{ background: STATE_COLORS[s] }} />{s}</span>)}
        </div>
      </div>
    </>
  );
}
