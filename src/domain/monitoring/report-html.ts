/**
 * The drift report as one self-contained HTML file: inline CSS and inline SVG charts, no script and no
 * network, so it opens offline and can be mailed or archived as is.
 */
import type { ColumnHistogram, ColumnReport, DriftReport } from './analysis.js';
import { driftRule } from './stat-tests.js';
import { esc } from '../../core/html.js';


const fmt = (v: number | null | undefined): string => {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
};

const W = 360;
const H = 150;
const PAD = { left: 34, right: 8, top: 8, bottom: 30 };

/** Reference and current shares per bin side by side, with the bin labels underneath. */
function chart(h: ColumnHistogram, column: string): string {
  const labels = h.kind === 'numeric' ? h.reference.map((_, i) => fmt(h.edges[i])) : h.labels.map(String);
  const n = h.reference.length;
  const max = Math.max(...h.reference, ...h.current, 1e-12);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / n;
  const bar = Math.max(1, slot * 0.4);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const bars: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = PAD.left + i * slot + slot * 0.1;
    const r = h.reference[i]!;
    const c = h.current[i]!;
    bars.push(`<rect class="ref" x="${x.toFixed(2)}" y="${y(r).toFixed(2)}" width="${bar.toFixed(2)}" height="${(PAD.top + plotH - y(r)).toFixed(2)}"><title>reference ${esc(labels[i])}: ${(r * 100).toFixed(2)}%</title></rect>`);
    bars.push(`<rect class="cur" x="${(x + bar).toFixed(2)}" y="${y(c).toFixed(2)}" width="${bar.toFixed(2)}" height="${(PAD.top + plotH - y(c)).toFixed(2)}"><title>current ${esc(labels[i])}: ${(c * 100).toFixed(2)}%</title></rect>`);
  }
  const step = Math.max(1, Math.ceil(n / 6));
  const ticks = labels
    .map((l, i) => (i % step === 0 ? `<text x="${(PAD.left + i * slot + slot / 2).toFixed(2)}" y="${H - 14}" text-anchor="middle">${esc(l.length > 10 ? `${l.slice(0, 9)}…` : l)}</text>` : ''))
    .join('');
  return `<svg class="chart" role="img" aria-label="${esc(`reference and current distribution of ${column}`)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">`
    + `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" class="axis"/>`
    + `<text x="2" y="${PAD.top + 8}">${(max * 100).toFixed(0)}%</text>`
    + bars.join('') + ticks + '</svg>';
}

function columnSection(c: ColumnReport): string {
  const d = c.drift;
  const verdict = d.drifted === null ? `<span class="na">not tested: ${esc(d.reason ?? '')}</span>` : d.drifted ? '<span class="bad">drift detected</span>' : '<span class="ok">no drift</span>';
  const q = c.quality;
  const rows = [
    ['test', `${esc(d.testName)} (${esc(d.test)}${d.chosenBy === 'default' ? ', Evidently default' : ', configured'})`],
    [d.scoreKind === 'p_value' ? 'p-value' : 'distance', fmt(d.score)],
    ...(d.statistic !== undefined ? [['statistic', fmt(d.statistic)]] : []),
    ['rule', esc(driftRule(d.test, d.threshold))],
    ...(d.method ? [['method', esc(d.method)]] : []),
    ...(d.binning ? [['binning', esc(d.binning)]] : []),
    ...(d.note ? [['note', esc(d.note)]] : []),
    ['missing (current)', `${q.current.missing} (${(q.current.missingShare * 100).toFixed(2)}%)`],
    ...(q.outOfRange ? [['out of reference range', `${q.outOfRange.rows} (${(q.outOfRange.share * 100).toFixed(2)}%)`]] : []),
    ...(q.newCategories && q.newCategories.rows > 0 ? [['new categories', `${q.newCategories.rows} rows: ${esc(q.newCategories.values.join(', '))}`]] : []),
    ...(q.current.typeMismatches > 0 ? [['type mismatches', String(q.current.typeMismatches)]] : []),
  ];
  return `<section class="column" data-column="${esc(c.name)}"><h3>${esc(c.name)} <small>${esc(c.type)}${c.role === 'prediction' ? ', prediction' : ''}</small> ${verdict}</h3>`
    + `<div class="body">${c.histogram ? chart(c.histogram, c.name) : '<p class="na">no values to chart</p>'}`
    + `<table>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table></div></section>`;
}

export function renderReportHtml(report: DriftReport, title = 'Drift report'): string {
  const dd = report.datasetDrift;
  const columns = [...report.columns, ...(report.predictionDrift ? [report.predictionDrift] : [])];
  const verdict = dd.drifted === null ? 'not decided' : dd.drifted ? 'DATASET DRIFT' : 'no dataset drift';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h3{font-size:15px;margin:0 0 8px}small{color:#667;font-weight:normal}
.summary{display:flex;gap:24px;margin:16px 0;padding:12px;background:#f4f6fa;border-radius:6px}
.summary b{display:block;font-size:18px}
.column{border-top:1px solid #dde;padding:12px 0}.body{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
table{border-collapse:collapse}th{text-align:left;color:#556;font-weight:normal;padding:2px 12px 2px 0}td{padding:2px 0}
.chart text{font-size:9px;fill:#556}.axis{stroke:#99a}.ref{fill:#8aa4c8}.cur{fill:#e08a3c}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}.legend .ref{background:#8aa4c8}.legend .cur{background:#e08a3c}
.bad{color:#b3261e;font-weight:600}.ok{color:#1e7b34}.na{color:#778}
ul.findings li.error{color:#b3261e}ul.findings li.warning{color:#8a5a00}
</style></head><body>
<h1>${esc(title)}</h1>
<div class="legend">bars: <span class="ref"></span>reference <span class="cur"></span>current (share of non-missing values per bin)</div>
<div class="summary" id="summary">
<div><b>${esc(verdict)}</b>dataset</div>
<div><b>${dd.driftedColumns} / ${dd.testedColumns}</b>columns drifted</div>
<div><b>${dd.share === null ? '—' : `${(dd.share * 100).toFixed(1)}%`}</b>share (threshold ${(dd.threshold * 100).toFixed(0)}%)</div>
<div><b>${report.referenceRows}</b>reference rows</div>
<div><b>${report.currentRows}</b>current rows</div>
</div>
${report.findings.length > 0 ? `<h2>Findings</h2><ul class="findings">${report.findings.map((f) => `<li class="${f.severity}">${esc(f.severity)}: ${f.column ? `<b>${esc(f.column)}</b> ` : ''}${esc(f.message)}</li>`).join('')}</ul>` : ''}
<h2>Columns</h2>
${columns.map(columnSection).join('\n')}
</body></html>
`;
}
