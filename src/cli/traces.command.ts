import { InvalidArgumentError, type Command } from 'commander';
import { SPAN_STATUSES, type SpanNode, type TraceDetail, type TraceSummary } from '../domain/llmops/types.js';
import { common, registryApi, type Common } from './models.command.js';
import { parseDuration } from './monitor.command.js';
import { formatTime, printJson, printTable } from './output.js';

/** `--since`/`--until`: an ISO 8601 time, or an age such as `30m`, `2h`, `7d` (that long before now). */
export function timeOption(value: string): number {
  if (/^\d+(?:\.\d+)?(s|m|h|d)$/.test(value.trim())) return Date.now() - parseDuration(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('Not a time; use ISO 8601 (2026-01-31T12:00:00Z) or an age (30m, 2h, 7d).');
  return ms;
}

function statusOption(value: string): string {
  if (!(SPAN_STATUSES as readonly string[]).includes(value)) throw new InvalidArgumentError(`Not a status; use one of ${SPAN_STATUSES.join(', ')}.`);
  return value;
}

function countOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('Not a whole number from 1 to 1000.');
  return n;
}

function charsOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('Not a whole number.');
  return n;
}

const latency = (start: number, end: number | undefined) => (end === undefined ? '' : `${Math.round(end - start)} ms`);
const usd = (v: number | undefined) => (v === undefined ? '' : `$${Number(v.toPrecision(4))}`);

/** A value on one line, cut to `max` characters unless `max` is 0. */
function oneLine(value: unknown, max: number): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return max > 0 && flat.length > max ? `${flat.slice(0, max)}… (${flat.length} chars)` : flat;
}

/** The span tree drawn with box characters, each span's inputs, outputs and error under it. */
export function renderSpanTree(roots: readonly SpanNode[], maxChars: number): string[] {
  const lines: string[] = [];
  const walk = (node: SpanNode, prefix: string, last: boolean) => {
    const facts = [
      node.status, latency(node.startTime, node.endTime), node.model,
      node.inputTokens !== undefined || node.outputTokens !== undefined ? `${node.inputTokens ?? 0}→${node.outputTokens ?? 0} tokens` : '',
      usd(node.cost), node.promptName ? `prompt ${node.promptName}${node.promptVersion ? ` v${node.promptVersion}` : ''}` : '',
    ].filter((f) => f);
    lines.push(`${prefix}${last ? '└─ ' : '├─ '}${node.kind} ${node.name} (${facts.join(', ')})`);
    const inner = prefix + (last ? '   ' : '│  ');
    const body = node.children.length > 0 ? `${inner}│ ` : `${inner}  `;
    if (node.input !== undefined) lines.push(`${body}input:  ${oneLine(node.input, maxChars)}`);
    if (node.output !== undefined) lines.push(`${body}output: ${oneLine(node.output, maxChars)}`);
    if (node.error !== undefined) lines.push(`${body}error:  ${oneLine(node.error, maxChars)}`);
    node.children.forEach((c, i) => walk(c, inner, i === node.children.length - 1));
  };
  roots.forEach((r, i) => walk(r, '', i === roots.length - 1));
  return lines;
}

interface ListOptions extends Common {
  project?: string; name?: string; userId?: string; session?: string; prompt?: string; model?: string; status?: string;
  since?: number; until?: number; search?: string; limit: number; pageToken?: string;
}

export function registerTracesCommand(program: Command): void {
  const traces = program.command('traces').description('LLM traces: search a project\'s traces and show one as a span tree with inputs and outputs');

  common(traces.command('list').description('A project\'s traces, newest first, filtered by name, user, session, prompt, model, status, time or text'))
    .option('--project <name>', 'the project (default: default)')
    .option('--name <name>', 'traces of this name (the root span\'s)')
    .option('--user-id <id>', 'traces of this user')
    .option('--session <id>', 'traces of this session')
    .option('--prompt <name>', 'traces that used this prompt')
    .option('--model <model>', 'traces that called this model')
    .option('--status <status>', `only ${SPAN_STATUSES.join(', ')} traces`, statusOption)
    .option('--since <time>', 'started at or after: ISO 8601 or an age (30m, 2h, 7d)', timeOption)
    .option('--until <time>', 'started at or before: ISO 8601 or an age', timeOption)
    .option('--search <text>', 'text in span names, inputs, outputs and errors')
    .option('--limit <n>', 'at most this many (1–1000)', countOption, 50)
    .option('--page-token <token>', 'the next page, as a previous list printed')
    .action(async (opts: ListOptions) => {
      const q = new URLSearchParams();
      const filters: Record<string, string | number | undefined> = {
        project: opts.project, name: opts.name, userId: opts.userId, sessionId: opts.session, promptName: opts.prompt, model: opts.model, status: opts.status,
        since: opts.since, until: opts.until, q: opts.search, maxResults: opts.limit, pageToken: opts.pageToken,
      };
      for (const [k, v] of Object.entries(filters)) if (v !== undefined) q.set(k, String(v));
      const page = await registryApi(opts)<{ items: TraceSummary[]; nextPageToken?: string }>('GET', `/api/v1/traces?${q.toString()}`);
      if (opts.json) return printJson(page);
      if (page.items.length === 0) return console.log('no traces');
      printTable(page.items, [
        { header: 'TRACE', value: (t) => t.traceId },
        { header: 'STARTED', value: (t) => formatTime(t.startTime) },
        { header: 'NAME', value: (t) => t.name },
        { header: 'STATUS', value: (t) => t.status },
        { header: 'SPANS', value: (t) => t.spanCount },
        { header: 'LATENCY', value: (t) => latency(t.startTime, t.endTime) },
        { header: 'TOKENS', value: (t) => `${t.inputTokens}→${t.outputTokens}` },
        { header: 'COST', value: (t) => usd(t.cost) },
        { header: 'MODELS', value: (t) => t.models.join(' ') },
      ]);
      if (page.nextPageToken) console.log(`more: --page-token ${page.nextPageToken}`);
    });

  common(traces.command('show <traceId>').description('One trace: its summary and span tree, with each span\'s inputs, outputs and error'))
    .option('--max-chars <n>', 'cut inputs and outputs to this many characters (0: never)', charsOption, 200)
    .action(async (traceId: string, opts: Common & { maxChars: number }) => {
      const max = opts.maxChars;
      const detail = await registryApi(opts)<TraceDetail>('GET', `/api/v1/traces/${encodeURIComponent(traceId)}`);
      if (opts.json) return printJson(detail);
      const t = detail.trace;
      const who = [t.userId ? `user ${t.userId}` : '', t.sessionId ? `session ${t.sessionId}` : '', t.promptName ? `prompt ${t.promptName}${t.promptVersion ? ` v${t.promptVersion}` : ''}` : ''].filter((x) => x);
      console.log(`trace ${t.traceId} '${t.name}' in project ${t.project}: ${t.status}, started ${formatTime(t.startTime)}, ${latency(t.startTime, t.endTime) || 'not finished'}`);
      console.log(`${t.spanCount} span(s), ${t.inputTokens}→${t.outputTokens} tokens, ${usd(t.cost)}${t.models.length > 0 ? `, ${t.models.join(' ')}` : ''}${who.length > 0 ? `; ${who.join(', ')}` : ''}`);
      for (const line of renderSpanTree(detail.spans, max)) console.log(line);
    });
}
