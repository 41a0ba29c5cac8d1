/** An evaluation as one self-contained HTML page: metrics with intervals, curves, slices and the fairness audit. */
import { esc } from '../../core/html.js';
import { calibrationChart, fmt, groupBars, rocChart, STYLE } from './charts.js';
import type { AttributeFairness, Estimate, Evaluation, EvaluationResult, Metrics } from './types.js';

export const estimateText = (e: Estimate | undefined): string => {
  if (!e) return '—';
  if (e.value === null) return `undefined: ${e.reason}`;
  return e.ci ? `${fmt(e.value)} [${fmt(e.ci.lower)}, ${fmt(e.ci.upper)}]` : fmt(e.value);
};

const cell = (e: Estimate | undefined) => (e && e.value === null ? `<td class="na">${esc(estimateText(e))}</td>` : `<td>${esc(estimateText(e))}</td>`);

export function metricsTable(metrics: Metrics): string {
  return `<table><tr><th>metric</th><th>value [interval]</th></tr>${Object.entries(metrics).map(([k, v]) => `<tr><td>${esc(k)}</td>${cell(v)}</tr>`).join('')}</table>`;
}

export function curveCharts(result: EvaluationResult): string {
  const charts: string[] = [];
  if (result.curves?.roc) charts.push(rocChart(result.curves.roc));
  if (result.curves?.calibration?.length) charts.push(calibrationChart(result.curves.calibration));
  return charts.length ? `<div class="charts">${charts.join('')}</div>` : '';
}

export function fairnessSection(a: AttributeFairness): string {
  const verdict = (p: boolean | null) => (p === null ? '<span class="na">undecided</span>' : p ? '<span class="ok">pass</span>' : '<span class="bad">FAIL</span>');
  const checks = a.checks.length
    ? `<table><tr><th>check</th><th>convention</th><th>result</th><th>detail</th></tr>${a.checks.map((c) => `<tr><td>${esc(c.metric)}</td><td>${c.convention}</td><td>${verdict(c.passed)}</td><td>${esc(c.detail)}</td></tr>`).join('')}</table>`
    : '';
  const summary = (title: string, m: Metrics | undefined) => (m ? `<h4>${title}</h4>${metricsTable(m)}` : '');
  const names = Object.keys(a.groups[0]?.metrics ?? {});
  const groups = `<table><tr><th>group</th><th>rows</th>${a.groups.some((g) => g.privileged !== undefined) ? '<th>privileged</th>' : ''}${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>`
    + a.groups.map((g) => `<tr><td>${esc(g.group)}</td><td>${g.count}</td>${g.privileged !== undefined ? `<td>${g.privileged ? 'yes' : ''}</td>` : ''}${names.map((n) => cell(g.metrics[n])).join('')}</tr>`).join('')
    + '</table>';
  const bars = `<div class="charts">${groupBars(`selection rate by ${a.attribute}`, a.groups.map((g) => ({ label: g.group, estimate: g.metrics.selection_rate! })))}`
    + `${groupBars(`true positive rate by ${a.attribute}`, a.groups.map((g) => ({ label: g.group, estimate: g.metrics.true_positive_rate! })))}</div>`;
  const byGroup = a.aif360ByGroup?.length
    ? `<h4>AIF360, each unprivileged group against the privileged</h4><table><tr><th>group</th><th>rows</th>${Object.keys(a.aif360ByGroup[0]!.metrics).map((m) => `<th>${esc(m)}</th>`).join('')}</tr>`
      + a.aif360ByGroup.map((g) => `<tr><td>${esc(g.group)}</td><td>${g.count}</td>${Object.values(g.metrics).map((m) => cell(m)).join('')}</tr>`).join('') + '</table>'
    : '';
  return `<h3>${esc(a.attribute)}</h3>${checks}${bars}${groups}${byGroup}`
    + `<div class="charts"><div>${summary('Fairlearn (unsigned, between groups)', a.fairlearn)}</div><div>${summary(`AIF360 (signed, unprivileged vs privileged: ${esc((a.privilegedGroups ?? []).join(', '))})`, a.aif360)}</div></div>`
    + a.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('');
}

export function renderEvaluationHtml(e: Evaluation): string {
  const r = e.result;
  const about: [string, string][] = [
    ['evaluation', e.id], ['task', r.task], ['rows', String(r.rows)],
    ['dataset', `${e.dataset.name} (sha256 ${e.dataset.digest.slice(0, 12)}…, ${e.dataset.source})`],
    ...(e.model ? [['model version', `${e.model.name} v${e.model.version}`] as [string, string]] : []),
    ...(e.runId ? [['run', e.runId] as [string, string]] : []),
    ...(r.positiveLabel ? [['positive label', r.positiveLabel] as [string, string]] : []),
    ...(r.bootstrap ? [['intervals', `${r.bootstrap.confidence * 100}% ${r.bootstrap.method}; ${r.bootstrap.resamples} resamples, seed ${r.bootstrap.seed}`] as [string, string]] : []),
    ['created', `${new Date(e.createdAt).toISOString()} by ${e.createdBy}`],
  ];
  const perClass = r.perClass
    ? `<h2>Per class</h2><table><tr><th>class</th><th>support</th><th>precision</th><th>recall</th><th>F1</th><th>ROC AUC</th><th>AP</th></tr>${r.perClass.map((c) => `<tr><td>${esc(c.label)}</td><td>${c.support}</td>${cell(c.precision)}${cell(c.recall)}${cell(c.f1)}${cell(c.rocAuc)}${cell(c.averagePrecision)}</tr>`).join('')}</table>`
    : '';
  const confusion = r.confusionMatrix
    ? `<h3>Confusion matrix (rows: true, columns: predicted)</h3><table><tr><th></th>${r.confusionMatrix.labels.map((l) => `<th>${esc(l)}</th>`).join('')}</tr>${r.confusionMatrix.matrix.map((row, i) => `<tr><th>${esc(r.confusionMatrix!.labels[i])}</th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`).join('')}</table>`
    : '';
  const quantiles = r.residualQuantiles
    ? `<h3>Residual quantiles (y − ŷ)</h3><table><tr>${Object.keys(r.residualQuantiles).map((q) => `<th>${q}</th>`).join('')}</tr><tr>${Object.values(r.residualQuantiles).map((v) => `<td>${fmt(v)}</td>`).join('')}</tr></table>`
    : '';
  const slices = r.slices.map((s) => {
    const names = Object.keys(s.groups[0]?.metrics ?? {});
    return `<h3>Slice: ${esc(s.columns.join(' × '))}</h3><table><tr><th>group</th><th>rows</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>${s.groups.map((g) => `<tr><td>${esc(g.label)}</td><td>${g.count}</td>${names.map((n) => cell(g.metrics[n])).join('')}</tr>`).join('')}</table>`;
  }).join('');
  const fairness = r.fairness
    ? `<h2>Fairness ${r.fairness.passed === false ? '<span class="bad">(checks failed)</span>' : r.fairness.passed ? '<span class="ok">(checks passed)</span>' : ''}</h2>`
      + `<ul>${Object.values(r.fairness.conventions).map((c) => `<li>${esc(c)}</li>`).join('')}</ul>${r.fairness.attributes.map(fairnessSection).join('')}`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(`Evaluation ${e.name}`)}</title><style>${STYLE}</style></head><body>`
    + `<h1>Evaluation: ${esc(e.name)}</h1><table>${about.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`
    + `<h2>Metrics</h2>${metricsTable(r.metrics)}${curveCharts(r)}${perClass}${confusion}${quantiles}`
    + (slices ? `<h2>Slices</h2>${slices}` : '') + fairness
    + (r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '')
    + '</body></html>';
}
