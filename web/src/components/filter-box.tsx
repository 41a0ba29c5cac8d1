import { useId, useMemo, useState } from 'react';
import { checkRunFilter } from '../lib/search-filter';

/** Where a server message points (`at position N`), so its error can be marked like a client-side one. */
const positionIn = (message: string): number | undefined => {
  const m = /position (\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
};

function Caret({ text, start, end, message, id }: { text: string; start: number; end: number; message: string; id: string }) {
  const width = Math.max(1, end - start);
  return (
    <div id={id} className="filter-error" role="alert">
      <span className="message">{message}</span>
      {'\n'}
      <span aria-hidden="true">{text}{'\n'}{' '.repeat(start)}{'^'.repeat(width)}</span>
    </div>
  );
}

/**
 * The runs search box. Each keystroke is parsed with the client-side port of the server's grammar, so a
 * mistake is marked before anything is sent; `Enter` applies the filter. A server rejection (`serverError`)
 * is shown the same way.
 */
export function FilterBox({ value, onApply, serverError }: { value: string; onApply(filter: string): void; serverError?: string | undefined }) {
  const [draft, setDraft] = useState(value);
  const [lastValue, setLastValue] = useState(value);
  if (value !== lastValue) {
    // Back/forward changed the applied filter: show it.
    setLastValue(value);
    setDraft(value);
  }
  const check = useMemo(() => checkRunFilter(draft), [draft]);
  const errorId = useId();
  const inputId = useId();
  const hintId = useId();
  const error = !check.ok
    ? { start: check.error.start, end: check.error.end, message: check.error.message }
    : serverError && draft === value
      ? { start: positionIn(serverError) ?? 0, end: (positionIn(serverError) ?? 0) + 1, message: serverError }
      : undefined;
  return (
    <form
      className="filter-box"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        if (check.ok) onApply(draft.trim());
      }}
    >
      <label htmlFor={inputId}>Filter runs</label>
      <div className="toolbar" style={{ margin: 0 }}>
        <input
          id={inputId}
          value={draft}
          spellCheck={false}
          autoComplete="off"
          placeholder="metrics.accuracy > 0.9 and params.optimizer = 'adam'"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : hintId}
          onChange={(e) => setDraft(e.target.value)}
          style={{ flex: 1 }}
        />
        <button type="submit" disabled={!check.ok}>Apply</button>
        {value ? <button type="button" onClick={() => { setDraft(''); onApply(''); }}>Clear</button> : null}
      </div>
      {error ? (
        <Caret id={errorId} text={draft} start={Math.min(error.start, draft.length)} end={Math.min(Math.max(error.end, error.start + 1), draft.length + 1)} message={error.message} />
      ) : (
        <span id={hintId} className="muted">MLflow search syntax: conditions on metrics., params., tags., attributes. joined with AND; press Enter to apply.</span>
      )}
    </form>
  );
}
