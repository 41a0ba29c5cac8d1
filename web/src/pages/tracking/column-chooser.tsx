import type { ColumnKind, DataColumn } from './run-columns';
import { columnId } from './run-columns';
import { moveColumn, neighbour } from './run-view';

const LABELS: Record<ColumnKind, string> = { metric: 'Metrics', param: 'Parameters', tag: 'Tags' };

/**
 * A disclosure (native <details>, so keyboard and screen readers handle it) with a checkbox per key, and the
 * shown columns in table order with buttons to move each left or right (what dragging a header does).
 */
export function ColumnChooser({ available, chosen, onChange }: { available: Record<ColumnKind, string[]>; chosen: DataColumn[]; onChange(next: DataColumn[]): void }) {
  const on = new Set(chosen.map(columnId));
  const toggle = (c: DataColumn) => onChange(on.has(columnId(c)) ? chosen.filter((x) => columnId(x) !== columnId(c)) : [...chosen, c]);
  return (
    <details className="chooser">
      <summary className="button">Columns ({chosen.length})</summary>
      <div className="panel">
        {(['metric', 'param', 'tag'] as const).map((kind) => (
          <fieldset key={kind}>
            <legend>{LABELS[kind]}</legend>
            {available[kind].length === 0 ? <span className="muted">none logged</span> : null}
            {available[kind].map((key) => (
              <label key={key}>
                <input type="checkbox" checked={on.has(columnId({ kind, key }))} onChange={() => toggle({ kind, key })} /> {key}
              </label>
            ))}
          </fieldset>
        ))}
        {chosen.length > 1 ? (
          <fieldset className="column-order">
            <legend>Order (or drag a header)</legend>
            <ol>
              {chosen.map((c) => {
                const id = columnId(c);
                const left = neighbour(chosen, id, -1);
                const right = neighbour(chosen, id, 1);
                return (
                  <li key={id}>
                    <span className="mono">{c.key}</span>{' '}
                    <button type="button" disabled={!left} aria-label={`Move ${c.key} left`} onClick={() => left && onChange(moveColumn(chosen, id, left))}>←</button>
                    <button type="button" disabled={!right} aria-label={`Move ${c.key} right`} onClick={() => right && onChange(moveColumn(chosen, id, right))}>→</button>
                  </li>
                );
              })}
            </ol>
          </fieldset>
        ) : null}
        <button type="button" onClick={() => onChange([])}>Hide all</button>
      </div>
    </details>
  );
}
