import { Link, useParams } from 'react-router';
import { reproducibilityApi, type Capture, type Reproduction } from '../../api/reproducibility';
import { ApiError } from '../../api/client';
import { ErrorMessage, Loading } from '../../components/status';
import { formatNumber } from '../../lib/chart-data';
import { formatBytes, formatDuration, formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

/** The facts of a capture worth putting side by side, by row label. */
function facts(c: Capture): Map<string, string> {
  const f = new Map<string, string>([
    ['command', c.command.join(' ')],
    ['git commit', c.git ? `${c.git.commit.slice(0, 12)}${c.git.dirty ? ' + diff' : ''}` : 'not a git checkout'],
    ['os', `${c.environment.os.platform} ${c.environment.os.release} (${c.environment.os.arch})`],
    ...Object.entries(c.environment.interpreters).map(([k, v]): [string, string] => [k, v]),
    ['libraries', `${Object.keys(c.environment.libraries).length} recorded`],
    ...c.environment.lockFiles.map((l): [string, string] => [`lock ${l.path}`, l.sha256.slice(0, 12)]),
    ...c.inputs.map((i): [string, string] => [`input ${i.path}`, `${i.sha256.slice(0, 12)} (${formatBytes(i.size)})`]),
    ...c.datasets.map((d): [string, string] => [`dataset ${d.name}`, `v${d.version}`]),
    ...Object.entries(c.seeds).map(([k, v]): [string, string] => [`seed ${k}`, v]),
    ...Object.entries(c.params).map(([k, v]): [string, string] => [`param ${k}`, v]),
    ['hardware', `${c.hardware.cpus} × ${c.hardware.cpuModel}, ${formatBytes(c.hardware.memoryBytes)}${c.hardware.gpus.length ? `, ${c.hardware.gpus.join(', ')}` : ''}`],
    ['wall time', formatDuration(Math.round(c.wallTimeMs))],
    ['exit', c.exitCode === null ? `killed (${c.signal ?? 'signal'})` : String(c.exitCode)],
    ['captured', `${formatTime(c.createdAt)} by ${c.createdBy}`],
  ]);
  return f;
}

function CaptureColumns({ original, reruns }: { original: Capture; reruns: readonly { reproduction: Reproduction; capture?: Capture | undefined }[] }) {
  const columns = [facts(original), ...reruns.map((r) => (r.capture ? facts(r.capture) : new Map<string, string>()))];
  const rows = [...new Set(columns.flatMap((c) => [...c.keys()]))];
  // Who ran it and when always differ; they are not environment differences.
  const compared = (row: string) => row !== 'captured' && row !== 'wall time';
  return (
    <table className="grid" data-testid="capture-table">
      <thead>
        <tr>
          <th scope="col">Captured</th>
          <th scope="col">Original <Link to={`/runs/${original.runId}`}>{original.runId.slice(0, 8)}</Link></th>
          {reruns.map(({ reproduction: r }) => <th scope="col" key={r.id}>Reproduction by {r.createdBy} <Link to={`/runs/${r.runId}`}>{r.runId.slice(0, 8)}</Link></th>)}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row}>
            <th scope="row">{row}</th>
            {columns.map((c, i) => {
              const differs = i > 0 && compared(row) && c.get(row) !== columns[0]!.get(row);
              return <td key={i} className={differs ? 'differs' : undefined}>{c.get(row) ?? '—'}{differs ? <span className="visually-hidden"> (differs)</span> : null}</td>;
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MetricComparison({ r }: { r: Reproduction }) {
  return (
    <section aria-labelledby={`metrics-${r.id}`}>
      <h3 id={`metrics-${r.id}`}>
        {r.passed ? <span className="check-pass">Reproduced</span> : <span className="check-fail">Not reproduced</span>} by {r.createdBy}, {formatTime(r.createdAt)}
        {' '}<a href={reproducibilityApi.reportUrl(r.id)}>HTML report</a>
      </h3>
      <table className="grid" data-testid={`reproduction-${r.id}`}>
        <thead><tr><th scope="col">Metric</th><th scope="col">Original</th><th scope="col">Reproduced</th><th scope="col">Delta</th><th scope="col">Tolerance</th><th scope="col">Within</th></tr></thead>
        <tbody>
          {r.metrics.map((m) => (
            <tr key={m.key}>
              <th scope="row">{m.key}</th>
              <td className="num">{m.original === null ? '—' : formatNumber(m.original)}</td>
              <td className="num">{m.reproduced === null ? '—' : formatNumber(m.reproduced)}</td>
              <td className="num">{m.delta === null ? '—' : formatNumber(m.delta)}</td>
              <td>{m.tolerance}</td>
              <td className={m.withinTolerance ? 'check-pass' : 'check-fail'}>{m.withinTolerance ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ReproducibilityPage() {
  const { runId = '' } = useParams();
  // No page at /reproducibility/runs: that crumb leads to the run instead.
  useTitle(`Reproducibility of run ${runId.slice(0, 8)}`, { '/reproducibility/runs': { label: `Run ${runId.slice(0, 8)}`, to: `/runs/${encodeURIComponent(runId)}` } });
  const data = useApi(async (signal) => {
    const original = await reproducibilityApi.capture(runId, signal);
    const { items } = await reproducibilityApi.reproductions(runId, signal);
    const reruns = await Promise.all(items.map(async (reproduction) => ({
      reproduction,
      capture: await reproducibilityApi.capture(reproduction.runId, signal).catch((err: unknown) => {
        if (err instanceof ApiError && err.notFound) return undefined;
        throw err;
      }),
    })));
    return { original, reruns };
  }, [runId]);
  if (data.error) return <ErrorMessage error={data.error} what="capture of this run" />;
  if (!data.data) return <Loading what="capture" />;
  const { original, reruns } = data.data;
  return (
    <article aria-labelledby="repro-title">
      <p className="muted"><Link to={`/runs/${runId}`}>Run {runId.slice(0, 8)}</Link> /</p>
      <h1 id="repro-title">Reproducibility</h1>
      <p>{reruns.length === 0 ? <>Not reproduced yet: <code>openexpert reproduce {runId}</code></> : `${reruns.filter((r) => r.reproduction.passed).length} of ${reruns.length} reproductions within tolerance.`}</p>
      <h2>Environment, side by side</h2>
      <div className="dag-scroll"><CaptureColumns original={original} reruns={reruns} /></div>
      {reruns.length ? <h2>Metrics</h2> : null}
      {reruns.map(({ reproduction }) => <MetricComparison key={reproduction.id} r={reproduction} />)}
    </article>
  );
}
