import { get } from '../../api/client';
import type { Explanation, ExplanationSummary } from '../../../../src/domain/explain/types';
import { formatNumber } from '../../lib/chart-data';
import { useApi } from '../../lib/use-api';
import { ErrorMessage } from '../../components/status';

const W = 640;
const ROW = 22;
const LEFT = 140;
const RIGHT = 24;
const POSITIVE = '#c2410c';
const NEGATIVE = '#1d4ed8';

type Attributions = NonNullable<Explanation['result']['treeShap'] | Explanation['result']['kernelShap']>;

/** Mean |φ| per feature, strongest first. */
function ImportanceBars({ attributions, method }: { attributions: Attributions; method: string }) {
  const rows = [...attributions.global].sort((a, b) => b.meanAbs - a.meanAbs).slice(0, 15);
  const max = Math.max(...rows.map((r) => r.meanAbs), 1e-12);
  const h = rows.length * ROW + 30;
  return (
    <svg className="svg-chart" viewBox={`0 0 ${W} ${h}`} width="100%" style={{ maxWidth: W }} role="img" aria-label={`Global importance: mean |${method}| per feature`} data-testid="importance-bars">
      {rows.map((r, i) => (
        <g key={r.feature}>
          <text x={LEFT - 6} y={i * ROW + 15} textAnchor="end">{r.feature}</text>
          <rect x={LEFT} y={i * ROW + 4} height={ROW - 8} width={((W - LEFT - RIGHT - 60) * r.meanAbs) / max} fill={POSITIVE}><title>{`${r.feature}: ${formatNumber(r.meanAbs)}`}</title></rect>
          <text x={LEFT + ((W - LEFT - RIGHT - 60) * r.meanAbs) / max + 4} y={i * ROW + 15}>{formatNumber(r.meanAbs)}</text>
        </g>
      ))}
      <text x={LEFT} y={h - 6}>{`mean |${method} value|`}</text>
    </svg>
  );
}

/** One dot per explained row and feature at its attribution, coloured from low (blue) to high (orange) feature value. */
function Beeswarm({ attributions, data, features, method }: { attributions: Attributions; data: number[][]; features: string[]; method: string }) {
  const order = features.map((f, j) => ({ f, j, w: attributions.global[j]?.meanAbs ?? 0 })).sort((a, b) => b.w - a.w).slice(0, 15);
  const all = attributions.values.flat();
  const lo = Math.min(0, ...all);
  const hi = Math.max(0, ...all);
  const span = hi - lo || 1;
  const x = (v: number) => LEFT + ((v - lo) / span) * (W - LEFT - RIGHT);
  const h = order.length * ROW + 30;
  return (
    <svg className="svg-chart" viewBox={`0 0 ${W} ${h}`} width="100%" style={{ maxWidth: W }} role="img" aria-label={`Beeswarm: ${method} value of each explained row per feature, coloured by the feature's value`} data-testid="beeswarm">
      <line className="axis" x1={x(0)} y1={0} x2={x(0)} y2={h - 24} />
      {order.map(({ f, j }, i) => {
        const column = data.map((row) => row[j]!);
        const min = Math.min(...column);
        const range = Math.max(...column) - min || 1;
        return (
          <g key={f}>
            <text x={LEFT - 6} y={i * ROW + 15} textAnchor="end">{f}</text>
            {attributions.values.map((row, r) => {
              const t = (data[r]![j]! - min) / range;
              return <circle key={r} cx={x(row[j]!)} cy={i * ROW + 11 + ((r % 5) - 2) * 2} r={3} fill={`rgb(${Math.round(29 + t * 165)}, ${Math.round(78 - t * 13)}, ${Math.round(216 - t * 204)})`}><title>{`${f} = ${formatNumber(data[r]![j]!)}: ${formatNumber(row[j]!)}`}</title></circle>;
            })}
          </g>
        );
      })}
      <text x={LEFT} y={h - 6}>{`${method} value (${formatNumber(lo)} … ${formatNumber(hi)}); colour: feature value, blue low, orange high`}</text>
    </svg>
  );
}

/** From E[f] to f(x) for one row: each feature's push, largest first. */
function Waterfall({ attributions, data, features, row }: { attributions: Attributions; data: number[][]; features: string[]; row: number }) {
  const values = attributions.values[row]!;
  const steps = features.map((f, j) => ({ f, v: values[j]!, x: data[row]![j]! })).sort((a, b) => Math.abs(b.v) - Math.abs(a.v)).slice(0, 12);
  let at = attributions.expectedValue;
  const points = [at];
  for (const s of steps) points.push((at += s.v));
  const lo = Math.min(...points);
  const hi = Math.max(...points);
  const span = hi - lo || 1;
  const x = (v: number) => LEFT + ((v - lo) / span) * (W - LEFT - RIGHT - 60);
  const h = steps.length * ROW + 50;
  return (
    <svg className="svg-chart" viewBox={`0 0 ${W} ${h}`} width="100%" style={{ maxWidth: W }} role="img" aria-label={`Waterfall of one row: from the expected value ${formatNumber(attributions.expectedValue)} to the prediction`} data-testid="waterfall">
      <text x={LEFT} y={14}>{`E[f] = ${formatNumber(attributions.expectedValue)}`}</text>
      {steps.map((s, i) => {
        const from = points[i]!;
        const to = points[i + 1]!;
        return (
          <g key={s.f}>
            <text x={LEFT - 6} y={i * ROW + 35} textAnchor="end">{`${s.f} = ${formatNumber(s.x)}`}</text>
            <rect x={x(Math.min(from, to))} y={i * ROW + 24} height={ROW - 8} width={Math.max(1, Math.abs(x(to) - x(from)))} fill={s.v >= 0 ? POSITIVE : NEGATIVE}><title>{`${s.f}: ${s.v >= 0 ? '+' : ''}${formatNumber(s.v)}`}</title></rect>
            <text x={x(Math.max(from, to)) + 4} y={i * ROW + 35}>{`${s.v >= 0 ? '+' : ''}${formatNumber(s.v)}`}</text>
          </g>
        );
      })}
      <text x={LEFT} y={h - 6}>{`f(x) = ${formatNumber(points.at(-1)!)}`}</text>
    </svg>
  );
}

/** The version's newest explanation, as pictures; how to make one when there is none. */
export function ExplanationSection({ name, version }: { name: string; version: number }) {
  const latest = useApi(async (signal) => {
    const page = await get<{ items: ExplanationSummary[] }>('/api/v1/explanations', { model: name, version: String(version), maxResults: '1' }, signal);
    return page.items[0] ? get<Explanation>(`/api/v1/explanations/${page.items[0].id}`, undefined, signal) : null;
  }, [name, version]);
  if (latest.error) return <ErrorMessage error={latest.error} what="explanations" />;
  if (latest.data === undefined) return null;
  const e = latest.data;
  if (!e) return <p>No explanation yet: <code className="mono">{`openexpert explain ${name}@${version} --data sample.csv`}</code></p>;
  const r = e.result;
  const attributions = r.treeShap ?? r.kernelShap;
  const method = r.treeShap ? 'TreeSHAP' : 'Kernel SHAP';
  return (
    <section id="explanation" aria-labelledby="explanation-title" data-testid="explanation">
      <p className="muted">{`Explanation ${e.id} of ${r.output.class !== undefined ? `P(class ${r.output.class})` : `'${r.output.name}'`} on ${e.dataName} (${r.dataRows} rows): ${e.spec.methods.join(', ')}`}</p>
      {attributions ? (
        <>
          <h3 id="explanation-title">Global importance</h3>
          <ImportanceBars attributions={attributions} method={method} />
          <h3>Every explained row</h3>
          <Beeswarm attributions={attributions} data={r.data} features={r.features} method={method} />
          <h3>{`One row (row ${r.rows[0]} of the data)`}</h3>
          <Waterfall attributions={attributions} data={r.data} features={r.features} row={0} />
        </>
      ) : <h3 id="explanation-title">Permutation importance</h3>}
      {r.permutation ? (
        <table className="grid" data-testid="permutation-table">
          <caption>{`Permutation importance: drop in ${r.permutation.metric} (baseline ${formatNumber(r.permutation.baseline)}), ${r.permutation.repeats} repeats`}</caption>
          <thead><tr><th scope="col">Feature</th><th scope="col">Mean ± std</th><th scope="col">{`${Math.round(r.permutation.confidence * 100)}% CI`}</th></tr></thead>
          <tbody>{[...r.permutation.importances].sort((a, b) => b.mean - a.mean).map((i) => <tr key={i.feature}><th scope="row">{i.feature}</th><td>{`${formatNumber(i.mean)} ± ${formatNumber(i.std)}`}</td><td>{`[${formatNumber(i.ci.lower)}, ${formatNumber(i.ci.upper)}]`}</td></tr>)}</tbody>
        </table>
      ) : null}
      {r.notes.length ? <ul>{r.notes.map((n) => <li key={n}>{n}</li>)}</ul> : null}
    </section>
  );
}
