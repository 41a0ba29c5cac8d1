import { useMemo, useState } from 'react';
import { request } from '../../api/client';
import { ErrorMessage, Loading } from '../../components/status';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';
import { operationsOf, typeOf, type OpenApiDocument } from './openapi-view';

/** The native API's reference, read from the server's own OpenAPI document (/api/v1/openapi.json). */
export function ApiReferencePage() {
  useTitle('API reference');
  const doc = useApi((signal) => request<OpenApiDocument>('GET', '/api/v1/openapi.json', undefined, signal), []);
  const [filter, setFilter] = useState('');
  const operations = useMemo(() => (doc.data ? operationsOf(doc.data) : []), [doc.data]);
  const shown = operations.filter((o) => `${o.method} ${o.path} ${o.summary} ${o.tag}`.toLowerCase().includes(filter.toLowerCase()));
  const groups = [...new Set(shown.map((o) => o.tag))];
  return (
    <section aria-labelledby="api-title">
      <h1 id="api-title">API reference</h1>
      {doc.error ? <ErrorMessage error={doc.error} what="the API description" /> : null}
      {doc.loading && !doc.data ? <Loading what="the API description" /> : null}
      {doc.data ? (
        <>
          <p>
            {doc.data.info.title} {doc.data.info.version}: {operations.length} operations. The machine-readable description is at{' '}
            <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1): generate a client from it in any language.
          </p>
          {doc.data.components?.schemas?.Error ? <p>Every error answers <code>{typeOf(doc.data.components.schemas.Error)}</code>.</p> : null}
          <label>
            Filter operations <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="runs, POST, history…" />
          </label>
          {groups.map((tag) => (
            <section key={tag} aria-labelledby={`tag-${tag}`}>
              <h2 id={`tag-${tag}`}>{tag}</h2>
              {shown.filter((o) => o.tag === tag).map((o) => (
                <details key={o.id} id={o.id} data-testid="operation">
                  <summary><code>{o.method} {o.path}</code> {o.summary}</summary>
                  {o.parameters.length > 0 ? (
                    <table className="grid">
                      <caption>Parameters</caption>
                      <thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th></tr></thead>
                      <tbody>{o.parameters.map((p) => <tr key={`${p.where}-${p.name}`}><td>{p.name}{p.required ? '' : '?'}</td><td>{p.where}</td><td><code>{p.type}</code></td></tr>)}</tbody>
                    </table>
                  ) : null}
                  {o.body ? <p>Body: <code>{o.body}</code></p> : null}
                  <table className="grid">
                    <caption>Responses</caption>
                    <thead><tr><th scope="col">Status</th><th scope="col">Body</th></tr></thead>
                    <tbody>{o.responses.map((r) => <tr key={r.status}><td>{r.status}</td><td><code>{r.type}</code></td></tr>)}</tbody>
                  </table>
                </details>
              ))}
            </section>
          ))}
        </>
      ) : null}
    </section>
  );
}
