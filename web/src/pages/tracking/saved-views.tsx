import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { viewsApi } from '../../api/views';
import { ErrorMessage } from '../../components/status';
import { useApi } from '../../lib/use-api';
import { writeView, readView } from './run-view';

/**
 * Saved views of an experiment, kept on the server for everyone who can read it. A view is the query string of
 * the runs table and chart workspace (filter, order, columns, grouping, hidden runs, panels): opening one puts
 * it in the URL, which is also the link to share.
 */
export function SavedViews({ experimentId }: { experimentId: string }) {
  const [params, setParams] = useSearchParams();
  const views = useApi((signal) => viewsApi.list(experimentId, signal), [experimentId]);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [message, setMessage] = useState('');
  const own = writeView(readView(params)).toString();
  const open = views.data?.items.find((v) => v.query === own)?.name ?? '';

  const act = async (what: () => Promise<unknown>, done: string) => {
    setError(undefined);
    try {
      await what();
      setMessage(done);
      views.reload();
    } catch (e) {
      setError(e);
    }
  };
  const save = (e: React.FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (n) void act(() => viewsApi.save(experimentId, n, own), `Saved view “${n}”.`).then(() => setName(''));
  };
  return (
    <div className="toolbar saved-views">
      <label htmlFor="saved-view">View</label>
      <select id="saved-view" value={open} onChange={(e) => {
        const view = views.data?.items.find((v) => v.name === e.target.value);
        const next = new URLSearchParams(view?.query ?? '');
        // Chart settings (x axis, smoothing, log) are not part of a view: keep them.
        for (const k of ['x', 'log', 'smooth']) { const v = params.get(k); if (v !== null) next.set(k, v); }
        setParams(next);
      }}>
        <option value="">{open ? 'default view' : views.data?.items.length ? 'unsaved view' : 'no saved views'}</option>
        {views.data?.items.map((v) => <option key={v.name} value={v.name}>{v.name}</option>)}
      </select>
      {open ? <button type="button" onClick={() => void act(() => viewsApi.remove(experimentId, open), `Deleted view “${open}”.`)}>Delete view</button> : null}
      <form onSubmit={save} className="inline-form">
        <label htmlFor="view-name">Save as</label>
        <input id="view-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="view name" maxLength={200} />
        <button type="submit" disabled={!name.trim()}>Save view</button>
      </form>
      <span role="status" aria-live="polite" className="muted">{message}</span>
      {error ? <ErrorMessage error={error} what="saved views" /> : null}
      {views.error ? <ErrorMessage error={views.error} what="saved views" /> : null}
    </div>
  );
}
