import { ListTree } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { tracesApi, type TraceFilters } from '../../api/traces';
import { EmptyState } from '../../components/empty-state';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { formatCost, formatLatency } from './format';

const FIELDS = [
  ['q', 'Search text'], ['userId', 'User'], ['promptName', 'Prompt'], ['model', 'Model'], ['project', 'Project'],
] as const;

/** A project's traces, newest first, filtered by the query string (so a filtered list can be shared as a link). */
export function TracesPage() {
  useTitle('Traces');
  const [params, setParams] = useSearchParams();
  const filters: TraceFilters = Object.fromEntries([...FIELDS.map(([k]) => k), 'status'].map((k) => [k, params.get(k) ?? undefined]).filter(([, v]) => v));
  const [page, setPage] = useState<string | undefined>(undefined);
  const key = params.toString();
  const traces = useApi((signal) => tracesApi.list(filters, page, signal), [key, page]);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const [k, v] of form) if (typeof v === 'string' && v.trim() !== '') next.set(k, v.trim());
    setPage(undefined);
    setParams(next);
  };
  return (
    <section aria-labelledby="traces-title">
      <h1 id="traces-title">Traces</h1>
      <form className="filters" onSubmit={submit} aria-label="Filter traces" key={key}>
        {FIELDS.map(([name, label]) => (
          <label key={name}>{label} <input name={name} defaultValue={params.get(name) ?? ''} /></label>
        ))}
        <label>Status{' '}
          <select name="status" defaultValue={params.get('status') ?? ''}>
            <option value="">any</option><option value="ok">ok</option><option value="error">error</option><option value="unset">unset</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      {traces.error ? <ErrorMessage error={traces.error} what="traces" /> : null}
      {traces.loading && !traces.data ? <Loading what="traces" /> : null}
      {traces.data && traces.data.items.length === 0 ? (
        <EmptyState title="No traces match" icon={ListTree} commands={['export OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:5000/v1/traces']}>
          Send traces with the SDK's <code>LlmTracer</code>, or point an OpenTelemetry exporter at this server:
        </EmptyState>
      ) : null}
      {traces.data && traces.data.items.length > 0 ? (
        <table className="grid" data-testid="traces-table">
          <thead><tr><th scope="col">Trace</th><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Latency</th><th scope="col">Spans</th><th scope="col">Tokens in/out</th><th scope="col">Cost</th><th scope="col">Models</th><th scope="col">Prompt</th><th scope="col">User</th></tr></thead>
          <tbody>
            {traces.data.items.map((t) => (
              <tr key={t.traceId} data-status={t.status}>
                <td><Link to={`/traces/${t.traceId}`}>{t.name}</Link></td>
                <td>{formatTime(t.startTime)}</td>
                <td className={t.status === 'error' ? 'pipeline-failed' : undefined}>{t.status}</td>
                <td className="num">{formatLatency(t.startTime, t.endTime)}</td>
                <td className="num">{t.spanCount}</td>
                <td className="num">{t.inputTokens}/{t.outputTokens}</td>
                <td className="num">{formatCost(t.cost)}</td>
                <td>{t.models.join(', ')}</td>
                <td>{t.promptName ? `${t.promptName}${t.promptVersion ? ` v${t.promptVersion}` : ''}` : ''}</td>
                <td>{t.userId ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {traces.data?.nextPageToken ? <button type="button" onClick={() => setPage(traces.data!.nextPageToken)}>Older traces</button> : null}
    </section>
  );
}
