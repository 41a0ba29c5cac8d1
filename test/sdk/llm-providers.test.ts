import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AnthropicProvider, BudgetExceededError, createProvider, EchoProvider, LlmClient, LlmError, LlmTracer, OpenAiProvider, StructuredOutputError, type RetryClock } from '../../src/sdk/index.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * A local stub that speaks OpenAI's chat completions and Anthropic's messages wire formats (streaming as
 * server-sent events, written in pieces), and can be told to fail: the next N requests answer a status (with a
 * Retry-After), or stall past the client's timeout.
 */
interface Seen { path: string; headers: http.IncomingHttpHeaders; body: Record<string, unknown> }
const seen: Seen[] = [];
let plan: ({ status: number; retryAfter?: string } | 'stall')[] = [];
let reply = 'Hello there, friend.';

function sse(res: http.ServerResponse, events: { event?: string; data: unknown }[]) {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // Split each event across writes, so the client's parser has to join partial lines.
  for (const e of events) {
    const text = `${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`;
    const mid = Math.floor(text.length / 2);
    res.write(text.slice(0, mid));
    res.write(text.slice(mid));
  }
  res.end();
}

const stub = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (c: Buffer) => (raw += c.toString()));
  req.on('end', () => {
    const body = JSON.parse(raw || '{}') as Record<string, unknown>;
    seen.push({ path: req.url ?? '', headers: req.headers, body });
    const step = plan.shift();
    if (step === 'stall') return void setTimeout(() => res.destroyed || res.end('{}'), 2000);
    if (step) {
      res.writeHead(step.status, { 'content-type': 'application/json', ...(step.retryAfter ? { 'retry-after': step.retryAfter } : {}) });
      return void res.end(JSON.stringify({ error: { message: `status ${step.status}` } }));
    }
    const words = reply.split(/(?<= )/);
    if (req.url === '/v1/chat/completions') {
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', model: `${body.model as string}-0613`, choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }], usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } }));
      }
      return sse(res, [
        { data: { id: 'c1', object: 'chat.completion.chunk', model: `${body.model as string}-0613`, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] } },
        ...words.map((w) => ({ data: { id: 'c1', object: 'chat.completion.chunk', model: `${body.model as string}-0613`, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] } })),
        { data: { id: 'c1', object: 'chat.completion.chunk', model: `${body.model as string}-0613`, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } },
        { data: { id: 'c1', object: 'chat.completion.chunk', model: `${body.model as string}-0613`, choices: [], usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } } },
        { data: '[DONE]' },
      ]);
    }
    if (req.url === '/v1/messages') {
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text: reply }], stop_reason: 'end_turn', usage: { input_tokens: 21, output_tokens: 5 } }));
      }
      return sse(res, [
        { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, usage: { input_tokens: 21, output_tokens: 1 } } } },
        { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
        { event: 'ping', data: { type: 'ping' } },
        ...words.map((w) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } } })),
        { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
        { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } } },
        { event: 'message_stop', data: { type: 'message_stop' } },
      ]);
    }
    res.writeHead(404).end();
  });
});

/** Records the waits instead of waiting, with a fixed "random" draw, so backoff is checked exactly. */
function fakeClock(draw = 0.5): RetryClock & { waits: number[] } {
  const waits: number[] = [];
  return { waits, random: () => draw, sleep: async (ms) => void waits.push(ms) };
}

let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(stub.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => stub.close(r)));
beforeEach(() => {
  seen.length = 0;
  plan = [];
  reply = 'Hello there, friend.';
});

const messages = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'Say hello.' }];

describe('OpenAI-compatible provider', () => {
  const provider = () => new OpenAiProvider({ baseUrl: `${base}/v1`, apiKey: 'sk-test', model: 'gpt-4o', timeoutMs: 500 });

  it('sends a chat completion and reads text, model and usage', async () => {
    const out = await provider().chat({ messages, temperature: 0.2, maxTokens: 50 });
    expect(out).toEqual({ text: 'Hello there, friend.', model: 'gpt-4o-0613', usage: { inputTokens: 11, outputTokens: 4 }, finishReason: 'stop' });
    expect(seen[0]!.headers.authorization).toBe('Bearer sk-test');
    expect(seen[0]!.body).toEqual({ model: 'gpt-4o', messages, temperature: 0.2, max_tokens: 50 });
  });

  it('streams the text piece by piece and ends with the usage of the last chunk', async () => {
    const pieces: string[] = [];
    let done;
    for await (const e of provider().stream({ messages })) {
      if (e.type === 'text') pieces.push(e.text);
      else done = e.result;
    }
    expect(pieces).toEqual(['Hello ', 'there, ', 'friend.']);
    expect(done).toEqual({ text: 'Hello there, friend.', model: 'gpt-4o-0613', usage: { inputTokens: 11, outputTokens: 4 }, finishReason: 'stop' });
    expect(seen[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });
});

describe('Anthropic-compatible provider', () => {
  const provider = () => new AnthropicProvider({ baseUrl: base, apiKey: 'ak-test', model: 'claude-3-5-haiku-20241022', timeoutMs: 500 });

  it('sends the system prompt apart, with max_tokens, the key and the API version', async () => {
    const out = await provider().chat({ messages });
    expect(out).toEqual({ text: 'Hello there, friend.', model: 'claude-3-5-haiku-20241022', usage: { inputTokens: 21, outputTokens: 5 }, finishReason: 'end_turn' });
    expect(seen[0]!.headers['x-api-key']).toBe('ak-test');
    expect(seen[0]!.headers['anthropic-version']).toBe('2023-06-01');
    expect(seen[0]!.body).toEqual({ model: 'claude-3-5-haiku-20241022', max_tokens: 1024, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hello.' }] });
  });

  it('streams text deltas and takes input tokens from message_start, output tokens from message_delta', async () => {
    const pieces: string[] = [];
    let done;
    for await (const e of provider().stream({ messages })) {
      if (e.type === 'text') pieces.push(e.text);
      else done = e.result;
    }
    expect(pieces.join('')).toBe('Hello there, friend.');
    expect(pieces).toHaveLength(3);
    expect(done).toEqual({ text: 'Hello there, friend.', model: 'claude-3-5-haiku-20241022', usage: { inputTokens: 21, outputTokens: 5 }, finishReason: 'end_turn' });
  });
});

describe('retries and timeouts', () => {
  it('retries 429 and 5xx with full-jitter exponential backoff, never sooner than Retry-After', async () => {
    plan = [{ status: 503 }, { status: 429, retryAfter: '3' }, { status: 500 }];
    const clock = fakeClock(0.5);
    const llm = new LlmClient({ provider: createProvider({ provider: 'openai', baseUrl: `${base}/v1`, model: 'gpt-4o' }), retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 10_000 }, clock });
    expect((await llm.chat({ messages })).text).toBe('Hello there, friend.');
    expect(seen).toHaveLength(4);
    // Draws of 0.5 over the ranges [0, 100], [0, 200] (raised to Retry-After's 3 s), [0, 400].
    expect(clock.waits).toEqual([50, 3000, 200]);
  });

  it('gives up after the attempts it was allowed and does not retry a 400', async () => {
    plan = [{ status: 502 }, { status: 502 }, { status: 502 }];
    const llm = new LlmClient({ provider: new OpenAiProvider({ baseUrl: `${base}/v1`, model: 'gpt-4o' }), retry: { attempts: 3 }, clock: fakeClock() });
    await expect(llm.chat({ messages })).rejects.toMatchObject({ name: 'LlmError', status: 502, retryable: true });
    expect(seen).toHaveLength(3);
    seen.length = 0;
    plan = [{ status: 400 }];
    await expect(llm.chat({ messages })).rejects.toMatchObject({ status: 400, retryable: false });
    expect(seen).toHaveLength(1);
  });

  it('times an attempt out and retries it; a stream that fails before its first text is retried too', async () => {
    plan = ['stall', 'stall'];
    const clock = fakeClock(0);
    const llm = new LlmClient({ provider: new AnthropicProvider({ baseUrl: base, model: 'claude', timeoutMs: 200 }), retry: { attempts: 3 }, clock });
    const pieces: string[] = [];
    for await (const e of llm.stream({ messages })) if (e.type === 'text') pieces.push(e.text);
    expect(pieces.join('')).toBe('Hello there, friend.');
    expect(seen).toHaveLength(3);
    plan = ['stall', 'stall'];
    await expect(new LlmClient({ provider: new AnthropicProvider({ baseUrl: base, model: 'claude', timeoutMs: 200 }), retry: { attempts: 2 }, clock }).chat({ messages }))
      .rejects.toSatisfy((e: unknown) => e instanceof LlmError && e.retryable && /in time/.test(e.message));
  });
});

describe('structured outputs', () => {
  const Ticket = z.object({ category: z.enum(['billing', 'bug', 'other']), urgent: z.boolean(), summary: z.string().max(80) });

  it('sends the JSON Schema as response_format and validates the answer with the zod schema', async () => {
    reply = '{"category": "billing", "urgent": true, "summary": "charged twice"}';
    const llm = new LlmClient({ provider: new OpenAiProvider({ baseUrl: `${base}/v1`, model: 'gpt-4o' }) });
    const { object } = await llm.generateObject(Ticket, { messages: [{ role: 'user', content: 'My card was charged twice!' }], schemaName: 'ticket' });
    expect(object).toEqual({ category: 'billing', urgent: true, summary: 'charged twice' });
    expect(seen[0]!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'ticket', strict: true, schema: { type: 'object', required: ['category', 'urgent', 'summary'] } } });
  });

  it('sends an invalid answer back with the issues, then gives up with them', async () => {
    reply = 'Sure! {"category": "refund", "urgent": "yes", "summary": "x"}';
    const llm = new LlmClient({ provider: new AnthropicProvider({ baseUrl: base, model: 'claude' }) });
    const err = await llm.generateObject(Ticket, { messages: [{ role: 'user', content: 'help' }], repairAttempts: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StructuredOutputError);
    expect((err as StructuredOutputError).issues.map((i) => i.path.join('.')).sort()).toEqual(['category', 'urgent']);
    expect(seen).toHaveLength(2);
    const repair = seen[1]!.body.messages as { role: string; content: string }[];
    expect(repair.at(-1)!.content).toContain('rejected');
  });
});

describe('traced calls', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('sends every call as an llm span nested in the chain that made it, redacted before it leaves', async () => {
    const tracer = new LlmTracer({ url: server.url });
    const llm = new LlmClient({ provider: new OpenAiProvider({ baseUrl: `${base}/v1`, model: 'gpt-4o-mini' }), tracer, redact: true });
    let traceId = '';
    await tracer.trace('support-agent', { kind: 'agent', userId: 'u-7', input: { ticket: 'mail me at a.b@example.com' } }, async (root) => {
      traceId = root.traceId;
      await llm.chat({ messages: [{ role: 'user', content: 'My IBAN is DE89 3704 0044 0532 0130 00' }], promptName: 'triage', promptVersion: '2' });
      await tracer.trace('lookup', { kind: 'tool' }, async () => {
        await llm.chat({ messages: [{ role: 'user', content: 'and again' }] });
      });
      root.set({ output: 'done' });
    });
    await tracer.shutdown();
    expect(seen[0]!.body.messages).toEqual([{ role: 'user', content: 'My IBAN is [REDACTED:IBAN]' }]);
    const detail = (await jsonClient(server.url).get(`/api/v1/traces/${traceId}`)).body;
    expect(detail.trace).toMatchObject({ name: 'support-agent', userId: 'u-7', spanCount: 4, inputTokens: 22, outputTokens: 8, promptName: 'triage' });
    expect(detail.trace.cost).toBeCloseTo((22 * 0.15 + 8 * 0.6) / 1e6, 12);
    const [root] = detail.spans;
    expect(root).toMatchObject({ kind: 'agent', input: { ticket: 'mail me at [REDACTED:EMAIL]' }, output: 'done', status: 'ok' });
    expect(root.children.map((c: { kind: string; name: string }) => `${c.kind}:${c.name}`)).toEqual(['llm:chat gpt-4o-mini', 'tool:lookup']);
    expect(root.children[0]).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini-0613', promptName: 'triage', promptVersion: '2', userId: 'u-7', output: 'Hello there, friend.', inputTokens: 11, outputTokens: 4 });
    expect(root.children[1].children[0]).toMatchObject({ kind: 'llm', userId: 'u-7' });
  });

  it('records a failed call as an error span and stops calls once a hard-stop budget is spent', async () => {
    const api = jsonClient(server.url);
    await api.call('PUT', '/api/v1/llm/prices', { prices: [{ provider: 'echo', model: '*', inputPerMillion: 100_000, outputPerMillion: 0 }] });
    expect((await api.post('/api/v1/llm/budgets', { name: 'echo-cap', scope: 'user', subject: 'heavy', period: 'month', limitUsd: 1, hardStop: true })).status).toBe(201);
    const tracer = new LlmTracer({ url: server.url });
    const llm = new LlmClient({ provider: new EchoProvider(), tracer, enforceBudgets: true });
    // Ten words at $0.10 each: the first call spends the whole dollar.
    await llm.chat({ messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }], userId: 'heavy' });
    await tracer.flush();
    await expect(llm.chat({ messages: [{ role: 'user', content: 'more' }], userId: 'heavy' })).rejects.toBeInstanceOf(BudgetExceededError);
    expect((await llm.chat({ messages: [{ role: 'user', content: 'light' }], userId: 'light' })).text).toBe('light');
    plan = [{ status: 400 }];
    const failing = new LlmClient({ provider: new OpenAiProvider({ baseUrl: `${base}/v1`, model: 'gpt-4o' }), tracer });
    let traceId = '';
    await tracer.trace('chain', { kind: 'chain' }, async (s) => {
      traceId = s.traceId;
      await failing.chat({ messages }).catch(() => undefined);
    });
    await tracer.shutdown();
    const detail = (await api.get(`/api/v1/traces/${traceId}`)).body;
    expect(detail.trace.status).toBe('error');
    expect(detail.spans[0].children[0]).toMatchObject({ status: 'error', error: expect.stringContaining('400') });
  });
});
