import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const T0 = Date.parse('2026-03-01T10:00:00Z');

describe('openexpert traces list and show', () => {
  it('lists traces with the API\'s filters and shows one as a span tree with inputs and outputs', async () => {
    const api = jsonClient(server.url);
    const ingested = await api.post('/api/v1/traces', { spans: [
      { traceId: A, spanId: '1'.repeat(16), name: 'agent', kind: 'agent', startTime: T0, endTime: T0 + 1500, status: 'ok', userId: 'u-1', input: { q: 'refund?' }, output: 'done', attributes: {} },
      { traceId: A, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), name: 'lookup', kind: 'tool', startTime: T0 + 10, endTime: T0 + 60, status: 'ok', input: 'x'.repeat(500), output: { id: 7 }, attributes: {} },
      { traceId: A, spanId: '3'.repeat(16), parentSpanId: '2'.repeat(16), name: 'chat', kind: 'llm', model: 'm-1', inputTokens: 10, outputTokens: 2, cost: 0.5, startTime: T0 + 20, endTime: T0 + 50, status: 'ok', output: 'ok', attributes: {} },
      { traceId: B, spanId: '4'.repeat(16), name: 'batch', kind: 'chain', startTime: T0 + 86_400_000, endTime: T0 + 86_400_250, status: 'error', error: 'boom', attributes: {} },
    ] });
    expect(ingested.status).toBe(200);
    const cli = (args: string[]) => runCli([...args, '--url', server.url]);

    const all = await cli(['traces', 'list']);
    expect([all.code, all.stderr]).toEqual([0, '']);
    const rows = all.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^TRACE\s+STARTED\s+NAME\s+STATUS\s+SPANS\s+LATENCY\s+TOKENS\s+COST\s+MODELS$/);
    // Newest first.
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0])).toEqual([B, A]);
    expect(rows[2]).toMatch(new RegExp(`^${A}\\s+2026-03-01 10:00:00\\s+agent\\s+ok\\s+3\\s+1500 ms\\s+10→2\\s+\\$0\\.5\\s+m-1$`));

    const ids = async (args: string[]) => (JSON.parse((await cli(['traces', 'list', ...args, '--json'])).stdout) as { items: { traceId: string }[] }).items.map((t) => t.traceId);
    expect(await ids(['--status', 'error'])).toEqual([B]);
    expect(await ids(['--name', 'agent'])).toEqual([A]);
    expect(await ids(['--user-id', 'u-1'])).toEqual([A]);
    expect(await ids(['--model', 'm-1'])).toEqual([A]);
    expect(await ids(['--since', '2026-03-02T00:00:00Z'])).toEqual([B]);
    expect(await ids(['--until', '2026-03-01T12:00:00Z'])).toEqual([A]);
    expect(await ids(['--search', 'refund'])).toEqual([A]);
    expect(await ids(['--project', 'default', '--session', 'none'])).toEqual([]);
    const paged = JSON.parse((await cli(['traces', 'list', '--limit', '1', '--json'])).stdout) as { items: unknown[]; nextPageToken: string };
    expect(paged.items).toHaveLength(1);
    expect(await ids(['--limit', '1', '--page-token', paged.nextPageToken])).toEqual([A]);

    const shown = await cli(['traces', 'show', A, '--max-chars', '20']);
    expect([shown.code, shown.stderr]).toEqual([0, '']);
    expect(shown.stdout.split('\n')).toEqual([
      `trace ${A} 'agent' in project default: ok, started 2026-03-01 10:00:00, 1500 ms`,
      '3 span(s), 10→2 tokens, $0.5, m-1; user u-1',
      '└─ agent agent (ok, 1500 ms)',
      '   │ input:  {"q":"refund?"}',
      '   │ output: done',
      '   └─ tool lookup (ok, 50 ms)',
      '      │ input:  xxxxxxxxxxxxxxxxxxxx… (500 chars)',
      '      │ output: {"id":7}',
      '      └─ llm chat (ok, 30 ms, m-1, 10→2 tokens, $0.5)',
      '           output: ok',
      '',
    ]);
    const failed = await cli(['traces', 'show', B]);
    expect(failed.stdout).toContain('   error:  boom');
    const json = JSON.parse((await cli(['traces', 'show', A, '--json'])).stdout) as { trace: { spanCount: number }; spans: { children: { children: { input?: unknown; name: string }[] }[] }[] };
    expect(json.trace.spanCount).toBe(3);
    expect(json.spans[0]!.children[0]!.children[0]!.name).toBe('chat');

    const bad = await cli(['traces', 'list', '--status', 'fine']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("'--status <status>' argument 'fine' is invalid");
    const missing = await cli(['traces', 'show', 'c'.repeat(32)]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('does not exist')]);
  }, 240_000);
});
