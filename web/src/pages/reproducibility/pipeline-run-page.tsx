import { Link, useParams } from 'react-router';
import { reproducibilityApi, type PipelineRun } from '../../api/reproducibility';
import { ErrorMessage, Loading } from '../../components/status';
import { formatDuration, formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

type Step = PipelineRun['steps'][number];
const BOX = { w: 180, h: 56, gapX: 60, gapY: 18 };

/** Columns by depth (the longest chain of needs before a step), rows in file order within a column. */
function layout(steps: readonly Step[]) {
  const depth = new Map<string, number>();
  const byName = new Map(steps.map((s) => [s.name, s]));
  const depthOf = (name: string, seen = new Set<string>()): number => {
    if (depth.has(name)) return depth.get(name)!;
    if (seen.has(name)) return 0;
    seen.add(name);
    const d = Math.max(-1, ...(byName.get(name)?.needs ?? []).map((n) => depthOf(n, seen))) + 1;
    depth.set(name, d);
    return d;
  };
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const s of steps) {
    const d = depthOf(s.name);
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    at.set(s.name, { x: 10 + d * (BOX.w + BOX.gapX), y: 10 + row * (BOX.h + BOX.gapY) });
  }
  const width = 20 + (Math.max(0, ...depth.values()) + 1) * (BOX.w + BOX.gapX) - BOX.gapX;
  const height = 20 + Math.max(1, ...rows.values()) * (BOX.h + BOX.gapY) - BOX.gapY;
  return { at, width, height };
}

const detail = (s: Step) => [s.cache ? `cache ${s.cache}` : '', s.durationMs !== undefined ? formatDuration(Math.round(s.durationMs)) : ''].filter(Boolean).join(' · ');

function Dag({ run }: { run: PipelineRun }) {
  const { at, width, height } = layout(run.steps);
  const summary = run.steps.map((s) => `${s.name}: ${s.state}`).join(', ');
  return (
    <svg className="dag" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Pipeline graph: ${summary}`} data-testid="pipeline-dag">
      {run.steps.flatMap((s) => s.needs.map((n) => {
        const from = at.get(n);
        const to = at.get(s.name)!;
        if (!from) return null;
        const x1 = from.x + BOX.w;
        const y1 = from.y + BOX.h / 2;
        const x2 = to.x;
        const y2 = to.y + BOX.h / 2;
        return <path key={`${n}-${s.name}`} className="dag-edge" d={`M${x1},${y1} C${x1 + BOX.gapX / 2},${y1} ${x2 - BOX.gapX / 2},${y2} ${x2},${y2}`} />;
      }))}
      {run.steps.map((s) => {
        const p = at.get(s.name)!;
        return (
          <g key={s.name} className={`dag-node step-${s.state}`} transform={`translate(${p.x},${p.y})`} data-step={s.name}>
            <rect width={BOX.w} height={BOX.h} rx={6} />
            <text x={10} y={20} className="dag-name">{s.name}</text>
            <text x={10} y={38} className="dag-detail">{s.state}{detail(s) ? ` · ${detail(s)}` : ''}</text>
          </g>
        );
      })}
    </svg>
  );
}

export function PipelineRunPage() {
  const { id = '' } = useParams();
  const run = useApi((signal) => reproducibilityApi.pipelineRun(id, signal), [id]);
  useTitle(run.data ? `Pipeline ${run.data.name}` : 'Pipeline run');
  if (run.error) return <ErrorMessage error={run.error} what="pipeline run" />;
  if (!run.data) return <Loading what="pipeline run" />;
  const r = run.data;
  return (
    <article aria-labelledby="pipeline-title">
      <p className="muted"><Link to="/pipelines">Pipelines</Link> /</p>
      <h1 id="pipeline-title">{r.name} <span className={`pipeline-${r.status}`}>{r.status}</span></h1>
      <p>Started {formatTime(r.startedAt)} by {r.createdBy}{r.environment ? `, environment ${r.environment}` : ''}, {r.executor} executor{r.finishedAt ? `; took ${formatDuration(r.finishedAt - r.startedAt)}` : ''}.</p>
      <div className="dag-scroll"><Dag run={r} /></div>
      <table className="grid" data-testid="pipeline-steps-table">
        <thead><tr><th scope="col">Step</th><th scope="col">State</th><th scope="col">Cache</th><th scope="col">Attempts</th><th scope="col">Duration</th><th scope="col">Run</th><th scope="col">Why</th></tr></thead>
        <tbody>
          {r.steps.map((s) => (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              <td className={`step-${s.state}`}>{s.state}</td>
              <td>{s.cache ?? '—'}</td>
              <td className="num">{s.attempts}</td>
              <td>{s.durationMs !== undefined ? formatDuration(Math.round(s.durationMs)) : '—'}</td>
              <td>{s.runId ? <Link to={`/runs/${s.runId}`}>{s.runId.slice(0, 8)}</Link> : '—'}</td>
              <td>{s.error ?? s.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
