import type { ColumnKind, DataColumn } from './run-columns';
import { columnId } from './run-columns';

const LABELS: Record<ColumnKind, string> = { metric: 'Metrics', param: 'Parameters', tag: 'Tags' };

/** A disclosure (native <details>, so keyboard and screen readers handle it) with a checkbox per key. */
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
        <button type="button" onClick={() => onChange([])}>Hide all</button>
      </div>
    </details>
  );
}
