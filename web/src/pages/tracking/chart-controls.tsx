import { useId } from 'react';
import type { XAxis } from '../../lib/chart-data';

export interface ChartSettings {
  readonly xAxis: XAxis;
  readonly log: boolean;
  readonly smoothing: number;
}

export const X_LABELS: Record<XAxis, string> = { step: 'Step', time: 'Time', relative: 'Relative time (s)' };

export function ChartControls({ value, onChange }: { value: ChartSettings; onChange(next: ChartSettings): void }) {
  const id = useId();
  return (
    <fieldset className="toolbar" style={{ border: 'none', padding: 0 }}>
      <legend className="visually-hidden">Chart settings</legend>
      <label htmlFor={`${id}-x`}>X axis</label>
      <select id={`${id}-x`} value={value.xAxis} onChange={(e) => onChange({ ...value, xAxis: e.target.value as XAxis })}>
        {Object.entries(X_LABELS).map(([k, label]) => <option key={k} value={k}>{label}</option>)}
      </select>
      <label><input type="checkbox" checked={value.log} onChange={(e) => onChange({ ...value, log: e.target.checked })} /> Log scale</label>
      <label htmlFor={`${id}-smooth`}>Smoothing</label>
      <input id={`${id}-smooth`} type="range" min={0} max={0.99} step={0.01} value={value.smoothing}
        onChange={(e) => onChange({ ...value, smoothing: Number(e.target.value) })} aria-valuetext={value.smoothing.toFixed(2)} />
      <output htmlFor={`${id}-smooth`}>{value.smoothing.toFixed(2)}</output>
    </fieldset>
  );
}
