import { useState } from 'react';
import { useParams } from 'react-router';
import { promptsApi, type PromptDetail, type PromptDiff, type PromptVersion } from '../../api/prompts';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

function Template({ version }: { version: PromptVersion }) {
  const t = version.template;
  if (typeof t === 'string') return <pre className="mono" data-testid="template">{t}</pre>;
  return (
    <div data-testid="template">
      {t.map((m, i) => (
        <div key={i}>
          <p className="muted">{m.role}</p>
          <pre className="mono">{m.content}</pre>
        </div>
      ))}
    </div>
  );
}

/** The diff as `diff -u` shows it, one row per line with both line numbers; removed and added lines marked in words too. */
function DiffView({ diff }: { diff: PromptDiff }) {
  if (diff.hunks.length === 0) return <p data-testid="diff-same">v{diff.from} and v{diff.to} have the same template.</p>;
  return (
    <>
      <table className="grid diff" data-testid="diff-table" aria-label={`Changes from version ${diff.from} to version ${diff.to}`}>
        <thead><tr><th scope="col">v{diff.from}</th><th scope="col">v{diff.to}</th><th scope="col">Change</th><th scope="col">Line</th></tr></thead>
        {diff.hunks.map((h, i) => (
          <tbody key={i}>
            <tr><td colSpan={4} className="muted mono">@@ -{h.oldStart},{h.oldLines} +{h.newStart},{h.newLines} @@</td></tr>
            {h.lines.map((l, j) => (
              <tr key={j} data-op={l.op === '+' ? 'added' : l.op === '-' ? 'removed' : 'same'} className={l.op === ' ' ? undefined : 'differs'}>
                <td className="num">{l.oldLine ?? ''}</td>
                <td className="num">{l.newLine ?? ''}</td>
                <td>{l.op === '+' ? 'added' : l.op === '-' ? 'removed' : ''}</td>
                <td className="mono" style={{ whiteSpace: 'pre-wrap' }}>{l.text}</td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
      {diff.variables.added.length ? <p>Variables added: {diff.variables.added.join(', ')}</p> : null}
      {diff.variables.removed.length ? <p>Variables removed: {diff.variables.removed.join(', ')}</p> : null}
      {diff.changed.map((c) => <p key={c}>Changed: {c}</p>)}
    </>
  );
}

function Diff({ prompt }: { prompt: PromptDetail }) {
  const numbers = prompt.versions.map((v) => String(v.version));
  const [from, setFrom] = useState(numbers[1] ?? numbers[0] ?? '1');
  const [to, setTo] = useState(numbers[0] ?? '1');
  const diff = useApi((signal) => promptsApi.diff(prompt.name, from, to, signal), [prompt.name, from, to]);
  return (
    <>
      <h2>Compare versions</h2>
      <p>
        <label>From <select value={from} onChange={(e) => setFrom(e.target.value)} data-testid="diff-from">{numbers.map((n) => <option key={n} value={n}>v{n}</option>)}</select></label>{' '}
        <label>to <select value={to} onChange={(e) => setTo(e.target.value)} data-testid="diff-to">{numbers.map((n) => <option key={n} value={n}>v{n}</option>)}</select></label>
      </p>
      {diff.error ? <ErrorMessage error={diff.error} what="the diff" /> : null}
      {diff.data ? <DiffView diff={diff.data} /> : <Loading what="the diff" />}
    </>
  );
}

export function PromptPage() {
  const { name = '' } = useParams();
  useTitle(`Prompt ${name}`);
  const prompt = useApi((signal) => promptsApi.get(name, signal), [name]);
  const history = useApi((signal) => promptsApi.history(name, signal), [name]);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const p = prompt.data;
  const shown = p?.versions.find((v) => v.version === selected) ?? p?.versions[0];
  return (
    <section aria-labelledby="prompt-title">
      <h1 id="prompt-title">Prompt {name}</h1>
      {prompt.error ? <ErrorMessage error={prompt.error} what="the prompt" /> : null}
      {prompt.loading && !p ? <Loading what="the prompt" /> : null}
      {p ? (
        <>
          {p.description ? <p>{p.description}</p> : null}
          <p data-testid="labels">Labels: {p.labels.length ? p.labels.map((l) => <span key={l.label} className="badge">{l.label}: v{l.version}</span>) : 'none'}</p>
          <h2>Versions</h2>
          <table className="grid" data-testid="versions-table">
            <thead><tr><th scope="col">Version</th><th scope="col">Labels</th><th scope="col">Variables</th><th scope="col">Message</th><th scope="col">Created</th><th scope="col">Source</th></tr></thead>
            <tbody>
              {p.versions.map((v) => (
                <tr key={v.version} data-selected={v.version === shown?.version ? "true" : undefined}>
                  <td><button type="button" className="link" onClick={() => setSelected(v.version)}>v{v.version}</button></td>
                  <td>{v.labels.map((l) => <span key={l} className="badge">{l}</span>)}</td>
                  <td className="mono">{v.variables.join(', ')}</td>
                  <td>{v.commitMessage ?? ''}</td>
                  <td>{formatTime(v.createdAt)}{v.createdBy ? ` by ${v.createdBy}` : ''}</td>
                  <td className="mono">{v.file ? `${v.file}${v.commit ? ` @ ${v.commit.slice(0, 12)}` : ''}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown ? (
            <>
              <h2>Version {shown.version} ({shown.type})</h2>
              <Template version={shown} />
            </>
          ) : null}
          {p.versions.length > 0 ? <Diff prompt={p} /> : null}
          <h2>Label moves</h2>
          {history.data && history.data.length === 0 ? <p>No label has moved yet.</p> : null}
          {history.data && history.data.length > 0 ? (
            <table className="grid" data-testid="history-table">
              <thead><tr><th scope="col">When</th><th scope="col">Label</th><th scope="col">Version</th><th scope="col">Before</th><th scope="col">Who</th><th scope="col">Why</th></tr></thead>
              <tbody>
                {history.data.map((r) => (
                  <tr key={r.id}>
                    <td>{formatTime(r.time)}</td>
                    <td>{r.target.replace(/^@/, '')}</td>
                    <td className="num">v{r.version}</td>
                    <td className="num">{r.previousVersion !== undefined ? `v${r.previousVersion}` : ''}</td>
                    <td>{r.actor}</td>
                    <td>{r.reason ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
