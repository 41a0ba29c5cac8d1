/** A reproduction as one self-contained HTML page: metric by metric, then what differed in the environment. */
import { esc } from '../../core/html.js';
import { fmt, STYLE } from '../evaluation/charts.js';
import { formatTolerance } from './comparison.js';
import type { Capture, Reproduction } from './types.js';

const verdict = (ok: boolean) => (ok ? '<span class="ok">within</span>' : '<span class="bad">OUTSIDE</span>');

function captureSummary(title: string, c: Capture | undefined): string {
  if (!c) return `<div><h3>${title}</h3><p class="na">not captured</p></div>`;
  const rows: [string, string][] = [
    ['run', c.runId],
    ['command', c.command.join(' ')],
    ['git commit', c.git ? `${c.git.commit}${c.git.dirty ? ' + uncommitted diff' : ''}` : 'not a git checkout'],
    ['os', `${c.environment.os.platform} ${c.environment.os.release} ${c.environment.os.arch}`],
    ...Object.entries(c.environment.interpreters).map(([k, v]): [string, string] => [k, v]),
    ['lock files', c.environment.lockFiles.map((f) => f.path).join(', ') || 'none found'],
    ['datasets', c.datasets.map((d) => `${d.name}@${d.version}`).join(', ') || 'none read'],
    ['seeds', Object.entries(c.seeds).map(([k, v]) => `${k}=${v}`).join(', ') || 'none given'],
    ['hardware', `${c.hardware.cpus} × ${c.hardware.cpuModel}, ${(c.hardware.memoryBytes / 2 ** 30).toFixed(1)} GiB`],
    ['wall time', `${(c.wallTimeMs / 1000).toFixed(2)} s`],
    ['exit', c.exitCode === null ? `killed (${c.signal ?? 'signal'})` : String(c.exitCode)],
  ];
  return `<div><h3>${title}</h3><table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table></div>`;
}

export function renderReproductionHtml(r: Reproduction, original: Capture | undefined, reproduced: Capture | undefined): string {
  const metrics = r.metrics.length
    ? `<table><tr><th>metric</th><th>original</th><th>reproduced</th><th>delta</th><th>relative</th><th>tolerance</th><th></th></tr>${r.metrics.map((m) =>
      `<tr><td>${esc(m.key)}</td><td>${fmt(m.original, 6)}</td><td>${fmt(m.reproduced, 6)}</td><td>${fmt(m.delta, 6)}</td>`
      + `<td>${m.relativeDelta === null ? '—' : `${fmt(m.relativeDelta * 100, 4)}%`}</td><td>${esc(m.tolerance)}</td><td>${verdict(m.withinTolerance)}</td></tr>`).join('')}</table>`
    : '<p class="bad">Neither run logged a metric: nothing was compared.</p>';
  const environment = r.environment.length
    ? `<table><tr><th>what</th><th>original</th><th>reproduced</th></tr>${r.environment.map((d) =>
      `<tr><td>${esc(d.field)}</td><td>${esc(d.original ?? '—')}</td><td>${esc(d.reproduced ?? '—')}</td></tr>`).join('')}</table>`
    : '<p>No difference in the recorded environment.</p>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Reproduction of run ${esc(r.sourceRunId)}</title><style>${STYLE}</style></head><body>
<h1>Reproduction of run ${esc(r.sourceRunId)}: ${r.passed ? '<span class="ok">reproduced</span>' : '<span class="bad">not reproduced</span>'}</h1>
<p>Rerun ${esc(r.runId)} by ${esc(r.createdBy)} (the original by ${esc(r.sourceAuthor)}) on ${new Date(r.createdAt).toISOString()};
tolerance ${esc(formatTolerance(r.tolerance) || 'exact')}; the rerun exited ${r.exitCode === null ? 'by a signal' : r.exitCode}.</p>
<h2>Metrics</h2>${metrics}
<h2>Environment differences</h2>${environment}
<h2>Captures</h2><div class="charts">${captureSummary('original', original)}${captureSummary('reproduction', reproduced)}</div>
</body></html>`;
}
