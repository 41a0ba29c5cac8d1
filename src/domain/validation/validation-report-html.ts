/**
 * A validation result as one self-contained HTML page, laid out as GE's Data Docs validation page: the
 * verdict and statistics first, then each expectation with its arguments, what was observed and the
 * unexpected values. No scripts, no outside resources: the file opens anywhere.
 */
import type { ExpectationResult, StoredValidation } from './types.js';
import { esc } from '../../core/html.js';

const json = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${Number(v.toFixed(4))}%`);

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#111}
h1{font-size:1.5rem;margin-bottom:.25rem}.sub{color:#555;margin-top:0}
table{border-collapse:collapse;width:100%;margin:.75rem 0}th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}.ok{color:#0a7d22;font-weight:600}.bad{color:#b00020;font-weight:600}.stats td{font-variant-numeric:tabular-nums}
code{font-size:12px;background:#f3f3f3;padding:0 .2rem;border-radius:3px;word-break:break-word}.muted{color:#666}
.badge{display:inline-block;padding:.15rem .6rem;border-radius:1rem;color:#fff}.badge.ok{background:#0a7d22}.badge.bad{background:#b00020}`;

function observed(r: ExpectationResult): string {
  if (r.exception_info) return `<span class="bad">could not evaluate:</span> ${esc(r.exception_info.exception_message)}`;
  const x = r.result;
  const parts: string[] = [];
  if (x.unexpected_count !== undefined) {
    parts.push(`${x.unexpected_count} unexpected of ${x.element_count ?? 0} rows (${pct(x.unexpected_percent)}${x.missing_count !== undefined ? `, ${x.missing_count} missing` : ''})`);
    const values = x.partial_unexpected_counts
      ? x.partial_unexpected_counts.map((c) => `<code>${esc(json(c.value))}</code> ×${c.count}`)
      : (x.partial_unexpected_list ?? []).map((v) => `<code>${esc(json(v))}</code>`);
    if (values.length) parts.push(`<div class="muted">unexpected values: ${values.join(' ')}</div>`);
    const indexes = x.unexpected_index_list ?? x.partial_unexpected_index_list;
    if (indexes?.length) parts.push(`<div class="muted">rows: ${esc(indexes.slice(0, 200).join(', '))}${indexes.length > 200 ? ' …' : ''}</div>`);
  } else if ('observed_value' in x) {
    parts.push(`<code>${esc(json(x.observed_value))}</code>`);
  }
  if (x.details && Object.keys(x.details).length) parts.push(`<details><summary>details</summary><code>${esc(JSON.stringify(x.details))}</code></details>`);
  return parts.join('') || '<span class="muted">—</span>';
}

const args = (kwargs: Readonly<Record<string, unknown>>) =>
  Object.entries(kwargs).filter(([k]) => k !== 'result_format').map(([k, v]) => `<div><span class="muted">${esc(k)}</span> <code>${esc(json(v))}</code></div>`).join('');

export function renderValidationHtml(v: StoredValidation, dataset: string): string {
  const r = v.result;
  const s = r.statistics;
  const rowsHtml = r.results.map((e) => `<tr><td>${e.success ? '<span class="ok">✓ met</span>' : '<span class="bad">✗ not met</span>'}</td>`
    + `<td><code>${esc(e.expectation_config.expectation_type)}</code>${args(e.expectation_config.kwargs)}</td><td>${observed(e)}</td></tr>`).join('');
  const title = `Validation of ${dataset} against ${v.suiteName}@${v.suiteVersion}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>
<h1>${esc(title)}</h1>
<p class="sub"><span class="badge ${r.success ? 'ok' : 'bad'}">${r.success ? 'Succeeded' : 'Failed'}</span> · run ${esc(new Date(v.createdAt).toISOString())} by ${esc(v.createdBy)} · validation ${esc(v.id)}</p>
<h2>Statistics</h2>
<table class="stats"><tr><th>evaluated expectations</th><th>successful</th><th>unsuccessful</th><th>success percent</th></tr>
<tr><td>${s.evaluated_expectations}</td><td>${s.successful_expectations}</td><td>${s.unsuccessful_expectations}</td><td>${pct(s.success_percent)}</td></tr></table>
<h2>Expectations</h2>
<table><tr><th>status</th><th>expectation</th><th>observed</th></tr>${rowsHtml}</table>
</body></html>`;
}
