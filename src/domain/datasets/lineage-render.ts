import type { LineageGraph, LineageNode } from './types.js';

const key = (n: LineageNode) => `${n.kind}:${n.id}`;
const quoted = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const labelOf = (n: LineageNode & { label?: string }) => n.label ?? key(n);

/** Mermaid flowchart; node ids are positional because Mermaid ids cannot hold `:` or `/`; the text is the node's label. */
export function lineageMermaid(g: LineageGraph): string {
  const ids = new Map(g.nodes.map((n, i) => [key(n), `n${i}`]));
  const lines = ['flowchart LR'];
  for (const n of g.nodes) lines.push(`  ${ids.get(key(n))}[${quoted(labelOf(n)).replace(/\\"/g, '#quot;')}]`);
  for (const e of g.edges) {
    const from = ids.get(key(e.from));
    const to = ids.get(key(e.to));
    if (from && to) lines.push(`  ${from} -->|${e.relation}| ${to}`);
  }
  return `${lines.join('\n')}\n`;
}

/** DOT keyed by `kind:id` (stable across renders), each node labelled as people name it. */
export function lineageDot(g: LineageGraph): string {
  const lines = ['digraph lineage {', '  rankdir=LR;'];
  for (const n of g.nodes) lines.push(`  ${quoted(key(n))} [label=${quoted(labelOf(n))}];`);
  for (const e of g.edges) lines.push(`  ${quoted(key(e.from))} -> ${quoted(key(e.to))} [label=${quoted(e.relation)}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
