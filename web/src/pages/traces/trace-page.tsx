import { useState } from 'react';
import { useParams } from 'react-router';
import { tracesApi, type Span, type TraceDetail } from '../../api/traces';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { formatCost, formatLatency } from './format';

const flatten = (spans: readonly Span[], depth = 0): { span: Span; depth: number }[] => spans.flatMap((s) => [{ span: s, depth }, ...flatten(s.children, depth + 1)]);

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

/** Where a span sits on the trace's timeline, as a bar: offset and width in percent of the whole trace. */
function Bar({ span, trace }: { span: Span; trace: TraceDetail['trace'] }) {
  const total = Math.max(1, (trace.endTime ?? trace.startTime) - trace.startTime);
  const left = ((span.startTime - trace.startTime) / total) * 100;
  const width = Math.max(0.5, (((span.endTime ?? span.startTime) - span.startTime) / total) * 100);
  return (
    <span className="span-bar" aria-hidden="true">
      <span style={{ marginLeft: `${Math.min(99.5, left)}%`, width: `${Math.min(100 - left, width)}%`, background: span.status === 'error' ? '#d62728' : '#1f77b4' }} />
    </span>
  );
}

function SpanDetail({ span }: { span: Span }) {
  const attributes = Object.entries(span.attributes);
  return (
    <div data-testid="span-detail" aria-live="polite">
      <h2>{span.name}</h2>
      <dl className="facts">
        <dt>Kind</dt><dd>{span.kind}</dd>
        <dt>Status</dt><dd>{span.status}</dd>
        <dt>Latency</dt><dd>{formatLatency(span.startTime, span.endTime)}</dd>
        {span.model ? <><dt>Model</dt><dd>{span.provider ? `${span.provider} / ` : ''}{span.model}</dd></> : null}
        {span.inputTokens !== undefined || span.outputTokens !== undefined ? <><dt>Tokens in/out</dt><dd>{span.inputTokens ?? 0}/{span.outputTokens ?? 0}</dd></> : null}
        {span.cost !== undefined ? <><dt>Cost</dt><dd>{formatCost(span.cost)}</dd></> : null}
        {span.promptName ? <><dt>Prompt</dt><dd>{span.promptName}{span.promptVersion ? ` v${span.promptVersion}` : ''}</dd></> : null}
        {span.userId ? <><dt>User</dt><dd>{span.userId}</dd></> : null}
      </dl>
      {span.error ? <><h3>Error</h3><pre className="error" data-testid="span-error">{span.error}</pre></> : null}
      {span.input !== undefined ? <><h3>Input</h3><pre data-testid="span-input">{show(span.input)}</pre></> : null}
      {span.output !== undefined ? <><h3>Output</h3><pre data-testid="span-output">{show(span.output)}</pre></> : null}
      {attributes.length > 0 ? (
        <details><summary>Attributes ({attributes.length})</summary>
          <table className="grid"><tbody>{attributes.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{show(v)}</td></tr>)}</tbody></table>
        </details>
      ) : null}
    </div>
  );
}

/** One trace: its totals, the span tree with a timeline, and the selected span's inputs, outputs and usage. */
export function TracePage() {
  const { traceId = '' } = useParams();
  const detail = useApi((signal) => tracesApi.get(traceId, signal), [traceId]);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  useTitle(detail.data ? `Trace ${detail.data.trace.name}` : 'Trace');
  if (detail.error) return <ErrorMessage error={detail.error} what="the trace" />;
  if (!detail.data) return <Loading what="the trace" />;
  const { trace, spans } = detail.data;
  const rows = flatten(spans);
  const current = rows.find((r) => r.span.spanId === selected)?.span ?? rows[0]?.span;
  return (
    <section aria-labelledby="trace-title">
      <h1 id="trace-title">Trace {trace.name}</h1>
      <p data-testid="trace-summary">
        {trace.status}, {trace.spanCount} spans, {formatLatency(trace.startTime, trace.endTime)}; {trace.inputTokens} tokens in, {trace.outputTokens} out; {formatCost(trace.cost)}
        {trace.models.length ? `; ${trace.models.join(', ')}` : ''}{trace.userId ? `; user ${trace.userId}` : ''}; started {formatTime(trace.startTime)} in project {trace.project}.
      </p>
      <div className="trace-layout">
        <table className="grid span-tree" data-testid="span-tree">
          <thead><tr><th scope="col">Span</th><th scope="col">Kind</th><th scope="col">Latency</th><th scope="col">Tokens</th><th scope="col">Cost</th><th scope="col">Timeline</th></tr></thead>
          <tbody>
            {rows.map(({ span, depth }) => (
              <tr key={span.spanId} data-depth={depth} data-status={span.status} aria-selected={span.spanId === current?.spanId}>
                <td style={{ paddingLeft: `${0.5 + depth * 1.25}rem` }}>
                  <button type="button" className="link" onClick={() => setSelected(span.spanId)}>{span.name}</button>
                  {span.status === 'error' ? <span className="pipeline-failed"> (error)</span> : null}
                </td>
                <td>{span.kind}</td>
                <td className="num">{formatLatency(span.startTime, span.endTime)}</td>
                <td className="num">{span.inputTokens !== undefined ? `${span.inputTokens}/${span.outputTokens ?? 0}` : ''}</td>
                <td className="num">{formatCost(span.cost)}</td>
                <td><Bar span={span} trace={trace} /></td>
              </tr>
            ))}
          </tbody>
        </table>
        {current ? <SpanDetail span={current} /> : null}
      </div>
    </section>
  );
}
