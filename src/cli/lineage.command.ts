import type { Command } from 'commander';
import { invalid } from '../core/errors.js';
import type { LineageGraph } from '../domain/datasets/types.js';
import { authHeaders } from './dataset-transfer.js';
import { common, registryApi, type Common } from './models.command.js';
import { clientUrl } from '../config/config.js';
import { printJson, printTable } from './output.js';

/** `kind:id`; a bare `name@version` is a dataset version. */
function parseNode(text: string): { kind: string; id: string } {
  const colon = text.indexOf(':');
  if (colon > 0 && /^[a-z][a-z_]*$/.test(text.slice(0, colon))) return { kind: text.slice(0, colon), id: text.slice(colon + 1) };
  if (text.includes('@')) return { kind: 'dataset_version', id: text };
  throw invalid(`Name a node as kind:id (dataset_version:churn@3, run:<id>, model_version:churn/2), not '${text}'`);
}

export function registerLineageCommand(program: Command): void {
  common(program.command('lineage <node>').description('Walk the lineage graph from a node: churn@3, run:<id>, model_version:churn/2, …'))
    .option('--upstream', 'towards what the node was made from')
    .option('--downstream', 'towards what was made from the node (the default)')
    .option('--depth <n>', 'at most this many hops (1-50)', '10')
    .option('--format <format>', 'table, json, mermaid or dot', 'table')
    .action(async (text: string, opts: Common & { upstream?: boolean; downstream?: boolean; depth: string; format: string }) => {
      if (opts.upstream && opts.downstream) throw invalid('Choose --upstream or --downstream, not both');
      if (!['table', 'json', 'mermaid', 'dot'].includes(opts.format)) throw invalid(`Unknown format '${opts.format}': use table, json, mermaid or dot`);
      const node = parseNode(text);
      const urlPath = `/api/v1/lineage/${encodeURIComponent(node.kind)}/${encodeURIComponent(node.id)}`;
      const query = { direction: opts.upstream ? 'upstream' : 'downstream', depth: opts.depth };
      if (opts.format === 'mermaid' || opts.format === 'dot') {
        const res = await fetch(`${clientUrl(opts.url)}${urlPath}?${new URLSearchParams({ ...query, format: opts.format })}`, { headers: authHeaders(opts) });
        const text = await res.text();
        if (!res.ok) throw invalid((JSON.parse(text) as { error?: { message?: string } }).error?.message ?? `HTTP ${res.status}`);
        return void process.stdout.write(text);
      }
      const graph = await registryApi(opts)<LineageGraph>('GET', urlPath, { query });
      if (opts.json || opts.format === 'json') return printJson(graph);
      const labels = new Map(graph.nodes.map((n) => [`${n.kind}:${n.id}`, n.label ?? `${n.kind}:${n.id}`]));
      const name = (n: { kind: string; id: string }) => labels.get(`${n.kind}:${n.id}`) ?? `${n.kind}:${n.id}`;
      printTable(graph.nodes, [{ header: 'DEPTH', value: (n) => n.depth }, { header: 'NODE', value: (n) => name(n) }, { header: 'KIND', value: (n) => n.kind }, { header: 'ID', value: (n) => n.id }]);
      printTable(graph.edges, [{ header: 'FROM', value: (e) => name(e.from) }, { header: 'RELATION', value: (e) => e.relation }, { header: 'TO', value: (e) => name(e.to) }]);
    });
}
