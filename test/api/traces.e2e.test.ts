import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/domain/monitoring/webhooks.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

type Server = Awaited<ReturnType<typeof startTestServer>>;

/** An agent run as an application instrumented with the OpenTelemetry JS SDK and GenAI conventions exports it. */
async function exportAgentRun(exporter: SpanExporter, project: string) {
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'support-bot', 'openexpert.project': project }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('support-bot', '1.0.0');
  const root = tracer.startSpan('invoke_agent support', { attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support', 'user.id': 'u-42' } });
  const ctx = trace.setSpan(context.active(), root);
  const chat = tracer.startSpan('chat gpt-4o', {
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 300, 'gen_ai.prompt.name': 'support-answer',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'My card 4111 1111 1111 1111 was charged twice, mail me at jane.doe@example.com' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Refund issued.' }] }]),
    },
  }, ctx);
  chat.end();
  const tool = tracer.startSpan('execute_tool refund', { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'refund', 'error.type': 'timeout' } }, ctx);
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'refund service timed out' });
  tool.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: root.spanContext().traceId, rootId: root.spanContext().spanId, chatId: chat.spanContext().spanId };
}

describe('LLM traces', () => {
  let server: Server;
  let api: ReturnType<typeof jsonClient>;
  const received: { body: string; headers: http.IncomingHttpHeaders }[] = [];
  let hook: http.Server;
  let hookUrl = '';

  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/budget`;
  });
  afterAll(async () => {
    await server.close();
    await new Promise((r) => hook.close(r));
  });

  for (const [encoding, make] of [
    ['OTLP/JSON', (url: string) => new OtlpJsonExporter({ url })],
    ['OTLP/protobuf', (url: string) => new OtlpProtoExporter({ url })],
  ] as const) {
    it(`ingests ${encoding} from the OpenTelemetry JS SDK exporter, mapping the GenAI conventions and redacting PII`, async () => {
      const ids = await exportAgentRun(make(`${server.url}/v1/traces`), 'default');
      const got = await api.get(`/api/v1/traces/${ids.traceId}`);
      expect(got.status, JSON.stringify(got.body)).toBe(200);
      // gpt-4o-2024-08-06 at the default price: 1200 × 2.5 + 300 × 10 per million tokens.
      const cost = (1200 * 2.5 + 300 * 10) / 1e6;
      expect(got.body.trace).toMatchObject({ traceId: ids.traceId, name: 'invoke_agent support', userId: 'u-42', promptName: 'support-answer', status: 'error', spanCount: 3, inputTokens: 1200, outputTokens: 300, models: ['gpt-4o-2024-08-06'] });
      expect(got.body.trace.cost).toBeCloseTo(cost, 12);
      const [root] = got.body.spans;
      expect(root).toMatchObject({ spanId: ids.rootId, kind: 'agent', children: [{ spanId: ids.chatId, kind: 'llm' }, { kind: 'tool', status: 'error', error: 'refund service timed out' }] });
      const chat = root.children[0];
      expect(chat).toMatchObject({ model: 'gpt-4o-2024-08-06', provider: 'openai', inputTokens: 1200, outputTokens: 300, promptName: 'support-answer' });
      expect(chat.input[0].parts[0].content).toBe('My card [REDACTED:CARD] was charged twice, mail me at [REDACTED:EMAIL]');
      expect(chat.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Refund issued.' }] }]);
      expect(chat.attributes['service.name']).toBe('support-bot');
      expect(chat.attributes['gen_ai.input.messages']).toBeUndefined();
    });
  }

  it('takes gzip-compressed OTLP/JSON with base64 ids and the project header, and answers bad exports 400 with a google.rpc.Status', async () => {
    const traceId = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex').toString('base64');
    const body = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: Buffer.from('b7ad6b7169203331', 'hex').toString('base64'), name: 'embed', startTimeUnixNano: '1765100000000000000', endTimeUnixNano: '1765100000050000000', attributes: [{ key: 'gen_ai.operation.name', value: { stringValue: 'embeddings' } }, { key: 'gen_ai.usage.input_tokens', value: { intValue: 42 } }] }] }] }] };
    const post = (payload: Buffer | string, headers: Record<string, string>) => fetch(`${server.url}/v1/traces`, { method: 'POST', headers, body: payload });
    const res = await post(gzipSync(JSON.stringify(body)), { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-openexpert-project': 'default' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const got = (await api.get('/api/v1/traces/0af7651916cd43dd8448eb211c80319c')).body;
    expect(got.spans[0]).toMatchObject({ spanId: 'b7ad6b7169203331', kind: 'embedding', inputTokens: 42, startTime: 1765100000000, endTime: 1765100000050 });
    const bad = await post(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'nope', spanId: 'x', name: 'n' }] }] }] }), { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 3, message: expect.stringContaining('traceId') });
    expect((await post(Buffer.from([0x0a, 0xff]), { 'content-type': 'application/x-protobuf' })).status).toBe(400);
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(400);
  });

  it('ingests native batches, searches them and answers a span tree', async () => {
    const t = 'ab'.repeat(16);
    const res = await api.post('/api/v1/traces', {
      spans: [
        { traceId: t, spanId: '01'.repeat(8), name: 'rag-chain', kind: 'chain', startTime: Date.now() - 50, endTime: Date.now(), status: 'ok', userId: 'bob', input: { question: 'call me on +44 20 7946 0958' } },
        { traceId: t, spanId: '02'.repeat(8), parentSpanId: '01'.repeat(8), name: 'retrieve', kind: 'retrieval', startTime: Date.now() - 40, endTime: Date.now() - 30, status: 'ok', output: ['doc-1', 'doc-7'] },
        { traceId: t, spanId: '03'.repeat(8), parentSpanId: '01'.repeat(8), name: 'answer', kind: 'llm', startTime: Date.now() - 30, endTime: Date.now(), status: 'ok', model: 'claude-3-5-haiku-20241022', provider: 'anthropic', inputTokens: 1000, outputTokens: 100, promptName: 'rag', promptVersion: '4' },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ accepted: 3, traceIds: [t], redacted: { phone: 1 } });
    const list = await api.get('/api/v1/traces?q=rag-chain');
    expect(list.body.items.map((x: { traceId: string }) => x.traceId)).toEqual([t]);
    expect((await api.get('/api/v1/traces?model=claude-3-5-haiku-20241022&userId=bob')).body.items).toHaveLength(1);
    const detail = (await api.get(`/api/v1/traces/${t}`)).body;
    expect(detail.spans[0].input).toEqual({ question: 'call me on [REDACTED:PHONE]' });
    expect(detail.spans[0].children.map((c: { name: string }) => c.name)).toEqual(['retrieve', 'answer']);
    expect(detail.trace.cost).toBeCloseTo((1000 * 0.8 + 100 * 4) / 1e6, 12);
    expect((await api.get(`/api/v1/traces/${'cd'.repeat(16)}`)).status).toBe(404);
    expect((await api.post('/api/v1/traces', { spans: [{ traceId: 'xyz', spanId: '01', name: 'x', startTime: 1 }] })).status).toBe(400);
  });

  it('applies user-defined redaction patterns and a configured price table', async () => {
    expect((await api.call('PUT', '/api/v1/llm/redaction', { custom: [{ name: 'ticket', pattern: 'TCK-\\d{5}' }] })).status).toBe(200);
    expect((await api.call('PUT', '/api/v1/llm/redaction', { custom: [{ name: 'bad', pattern: '(' }] })).status).toBe(400);
    expect((await api.call('PUT', '/api/v1/llm/prices', { prices: [{ provider: 'acme', model: 'acme-1*', inputPerMillion: 1000, outputPerMillion: 2000 }] })).status).toBe(200);
    const t = 'ef'.repeat(16);
    const res = await api.post('/api/v1/traces', { spans: [{ traceId: t, spanId: '0a'.repeat(8), name: 'call', kind: 'llm', startTime: Date.now(), provider: 'acme', model: 'acme-1-large', inputTokens: 100, outputTokens: 50, input: 'about TCK-12345' }] });
    expect(res.body.redacted).toEqual({ ticket: 1 });
    const detail = (await api.get(`/api/v1/traces/${t}`)).body;
    expect(detail.spans[0].input).toBe('about [REDACTED:TICKET]');
    expect(detail.spans[0].cost).toBeCloseTo((100 * 1000 + 50 * 2000) / 1e6, 12);
  });

  it('raises budget alerts through a signed webhook once per period and level, and the budget check stops calls', async () => {
    const created = await api.post('/api/v1/llm/budgets', { name: 'bob-daily', scope: 'user', subject: 'carol', period: 'day', limitUsd: 0.3, warnAt: 0.5, hardStop: true, webhookUrl: hookUrl, webhookSecret: 's'.repeat(32) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const call = async (n: number) => api.post('/api/v1/traces', { spans: [{ traceId: n.toString(16).padStart(32, '0'), spanId: '0b'.repeat(8), name: 'call', kind: 'llm', startTime: Date.now(), userId: 'carol', provider: 'acme', model: 'acme-1', inputTokens: 100, outputTokens: 0 }] });
    // Each call costs 100 × 1000 / 1e6 = $0.10.
    expect((await call(1)).body.alerts).toEqual([]);
    expect((await api.get('/api/v1/llm/budget-check?userId=carol')).body.allowed).toBe(true);
    expect((await call(2)).body.alerts.map((a: { level: string }) => a.level)).toEqual(['warning']);
    expect((await call(3)).body.alerts.map((a: { level: string }) => a.level)).toEqual(['exceeded']);
    expect((await call(4)).body.alerts).toEqual([]);
    const check = (await api.get('/api/v1/llm/budget-check?userId=carol')).body;
    expect(check.allowed).toBe(false);
    expect(check.budgets[0].spentUsd).toBeCloseTo(0.4, 12);
    expect((await api.get('/api/v1/llm/budget-check?userId=dave')).body).toEqual({ allowed: true, budgets: [] });
    for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(received.map((r) => JSON.parse(r.body).level)).toEqual(['warning', 'exceeded']);
    for (const r of received) {
      expect(verifyWebhookSignature('s'.repeat(32), r.body, { signature: r.headers['x-openexpert-signature'] as string, timestamp: r.headers['x-openexpert-timestamp'] as string }, Math.floor(Date.now() / 1000))).toBe(true);
    }
    const detail = (await api.get('/api/v1/llm/budgets/bob-daily')).body;
    expect(detail.alerts).toHaveLength(2);
    expect(detail.status.budget.webhookSecret).toBeUndefined();
  });
});
