import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { useParams } from 'react-router';
import { currentUser, onCurrentUserChange } from '../../api/client';
import { reviewApi, type Agreement, type ReviewItem } from '../../api/review';
import { ErrorMessage, Loading } from '../../components/status';
import { formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

const kappa = (k: number | null) => (k === null ? 'undefined' : k.toFixed(3));
const value = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : typeof v === 'string' ? v : JSON.stringify(v));
const typing = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

/**
 * One queue, for a reviewer: the items to label one at a time with the keyboard (number keys pick a label, j/k move,
 * Enter submits), and the agreement between reviewers so far.
 */
export function QueuePage() {
  const { name = '' } = useParams();
  useTitle(`Review ${name}`);
  const user = useSyncExternalStore(onCurrentUserChange, currentUser);
  const [mode, setMode] = useState<'todo' | 'all'>('todo');
  const detail = useApi((signal) => reviewApi.get(name, signal), [name]);
  const items = useApi((signal) => reviewApi.items(name, mode, signal), [name, mode, user]);
  const agreement = useApi((signal) => reviewApi.agreement(name, signal), [name]);
  const [index, setIndex] = useState(0);
  // The reviewer's draft for one item; another item starts from the label (and comment) given it before, if any.
  const [draft, setDraft] = useState<{ item: string; choice?: string; comment: string }>();
  const [status, setStatus] = useState<{ text: string; error?: unknown }>();
  const [busy, setBusy] = useState(false);

  const list = items.data?.items ?? [];
  const current: ReviewItem | undefined = list[Math.min(index, list.length - 1)];
  const labels = detail.data?.queue.spec.labels ?? [];
  const mine = current?.labels.find((l) => l.reviewer === (user || 'anonymous'));

  const own = draft && draft.item === current?.id ? draft : { item: current?.id ?? '', ...(mine ? { choice: mine.label } : {}), comment: mine?.comment ?? '' };
  const choice = own.choice;
  const comment = own.comment;
  const setChoice = useCallback((c: string) => setDraft({ ...own, choice: c }), [own]);
  const setComment = (c: string) => setDraft({ ...own, comment: c });

  const move = useCallback((step: number) => setIndex((i) => Math.max(0, Math.min(list.length - 1, Math.min(i, list.length - 1) + step))), [list.length]);

  const submit = useCallback(async () => {
    if (!current || choice === undefined || busy) return;
    setBusy(true);
    try {
      await reviewApi.label(name, current.id, choice, comment.trim() || undefined);
      setStatus({ text: `Labelled item ${list.indexOf(current) + 1} as ${choice}.` });
      // In the to-do list the labelled item leaves and the next takes its place; in the full list, step on.
      if (mode === 'all') move(1);
      items.reload();
      agreement.reload();
      detail.reload();
    } catch (error) {
      setStatus({ text: 'The label was not saved.', error });
    } finally {
      setBusy(false);
    }
  }, [current, choice, busy, name, comment, list, mode, move, items, agreement, detail]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (/^[1-9]$/.test(e.key) && labels[Number(e.key) - 1] !== undefined) {
        setChoice(labels[Number(e.key) - 1]!);
        e.preventDefault();
      } else if (e.key === 'j') {
        move(1);
      } else if (e.key === 'k') {
        move(-1);
      } else if (e.key === 'Enter' && !(e.target instanceof HTMLButtonElement)) {
        e.preventDefault();
        void submit();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [labels, move, submit]);

  if (detail.error) return <ErrorMessage error={detail.error} what={`review queue ${name}`} />;
  if (!detail.data) return <Loading what={`review queue ${name}`} />;
  const { queue, stats } = detail.data;
  return (
    <section aria-labelledby="queue-title" className="review">
      <h1 id="queue-title">Review: {queue.name}</h1>
      {queue.description ? <p>{queue.description}</p> : null}
      {queue.spec.instructions ? <p data-testid="instructions"><strong>Instructions:</strong> {queue.spec.instructions}</p> : null}
      <p data-testid="progress">
        {stats.items} items, {stats.labelled} labelled, {stats.complete} complete. Reviewing as <strong>{user || 'anonymous'}</strong>.
      </p>
      <p className="hint">Keys: <kbd>1</kbd>–<kbd>{Math.min(9, labels.length)}</kbd> pick a label, <kbd>j</kbd>/<kbd>k</kbd> next/previous item, <kbd>Enter</kbd> submits.</p>
      <fieldset className="filters">
        <legend>Show</legend>
        <label><input type="radio" name="mode" checked={mode === 'todo'} onChange={() => { setMode('todo'); setIndex(0); }} /> my items to label</label>
        <label><input type="radio" name="mode" checked={mode === 'all'} onChange={() => { setMode('all'); setIndex(0); }} /> all items</label>
      </fieldset>
      {items.error ? <ErrorMessage error={items.error} what="items" /> : null}
      {items.loading && !items.data ? <Loading what="items" /> : null}
      {items.data && list.length === 0 ? <p data-testid="queue-empty">{mode === 'todo' ? 'Nothing left for you to label here.' : 'The queue is empty.'}</p> : null}
      {current ? (
        <article aria-labelledby="item-title" data-testid="review-item" data-item={current.id}>
          <h2 id="item-title">Item {list.indexOf(current) + 1} of {list.length}</h2>
          <p>
            From {current.source.kind} <code>{current.source.id}</code>{current.source.deployment ? ` (deployment ${current.source.deployment}, ${current.source.model} v${current.source.version})` : ''}, taken by {current.reason.replace('_', ' ')}, {formatTime(current.time)}.
            {current.predicted !== undefined ? <> Model says <strong data-testid="predicted">{current.predicted}</strong>{current.confidence !== undefined ? ` (confidence ${current.confidence.toFixed(3)})` : ''}.</> : null}
          </p>
          <table className="grid" data-testid="item-fields">
            <caption className="visually-hidden">Fields of the item</caption>
            <thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
            <tbody>
              {Object.entries(current.fields).map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td className="pre">{value(v)}</td></tr>)}
            </tbody>
          </table>
          <div role="group" aria-label="Label" className="label-buttons" data-testid="label-buttons">
            {labels.map((l, i) => (
              <button key={l} type="button" aria-pressed={choice === l} onClick={() => setChoice(l)} className={choice === l ? 'selected' : undefined}>
                {i < 9 ? <kbd>{i + 1}</kbd> : null} {l}
              </button>
            ))}
          </div>
          <label className="block">Comment (optional) <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} /></label>
          <div className="actions">
            <button type="button" onClick={() => move(-1)} disabled={list.indexOf(current) === 0}>Previous (k)</button>
            <button type="button" onClick={() => void submit()} disabled={choice === undefined || busy}>Submit (Enter)</button>
            <button type="button" onClick={() => move(1)} disabled={list.indexOf(current) === list.length - 1}>Next (j)</button>
          </div>
          {current.labels.length > 0 ? (
            <p data-testid="item-labels">Labels so far: {current.labels.map((l) => `${l.reviewer}: ${l.label}${l.comment ? ` (“${l.comment}”)` : ''}`).join('; ')}</p>
          ) : null}
        </article>
      ) : null}
      <p role="status" data-testid="review-status">{status?.text ?? ''}</p>
      {status?.error ? <ErrorMessage error={status.error} what="the label" /> : null}
      <AgreementPanel agreement={agreement.data} />
    </section>
  );
}

function AgreementPanel({ agreement }: { agreement: Agreement | undefined }) {
  if (!agreement) return null;
  return (
    <section aria-labelledby="agreement-title" data-testid="agreement">
      <h2 id="agreement-title">Agreement between reviewers</h2>
      {agreement.items === 0 ? <p>No item has two labels yet.</p> : (
        <>
          <p data-testid="fleiss">
            Fleiss&apos; κ = {kappa(agreement.fleiss.kappa)} ({agreement.fleiss.interpretation}) over {agreement.items} items labelled by two or more of {agreement.reviewers.length} reviewers; observed agreement {agreement.observed.toFixed(3)}, chance {agreement.fleiss.expected.toFixed(3)}.
          </p>
          <table className="grid" data-testid="pairs">
            <thead><tr><th scope="col">Reviewers</th><th scope="col">Shared items</th><th scope="col">Agreement</th><th scope="col">Cohen&apos;s κ</th></tr></thead>
            <tbody>
              {agreement.pairs.map((p) => (
                <tr key={p.reviewers.join('&')}><td>{p.reviewers.join(' & ')}</td><td className="num">{p.items}</td><td className="num">{p.observed.toFixed(3)}</td><td className="num">{kappa(p.kappa)}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
