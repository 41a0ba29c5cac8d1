import { post, readJson, serverSentEvents, type HttpProviderOptions } from './http-provider.js';
import { LlmError, type CallOptions, type ChatRequest, type ChatResult, type LlmProvider, type StreamEvent, type Usage } from './types.js';

interface Completion {
  model?: string;
  choices?: { message?: { content?: string | null }; delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

const usageOf = (u: Completion['usage']): Usage | undefined => (u ? { inputTokens: u.prompt_tokens ?? 0, outputTokens: u.completion_tokens ?? 0 } : undefined);

/**
 * OpenAI-compatible chat completions (`POST {baseUrl}/chat/completions`), which OpenAI, Azure OpenAI, vLLM,
 * Ollama, LiteLLM and most gateways speak. Streaming uses server-sent events with `stream_options.include_usage`,
 * so the last chunk carries the token counts.
 */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai';
  readonly defaultModel: string;
  constructor(private readonly opts: HttpProviderOptions) {
    this.defaultModel = opts.model;
  }

  private body(req: ChatRequest, stream: boolean) {
    return {
      model: req.model ?? this.opts.model,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.maxTokens !== undefined ? { max_tokens: req.maxTokens } : {}),
      ...(req.stop ? { stop: req.stop } : {}),
      ...(req.jsonSchema ? { response_format: { type: 'json_schema', json_schema: { name: req.jsonSchema.name, schema: req.jsonSchema.schema, strict: true } } } : {}),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    };
  }

  private headers(): Record<string, string> {
    return this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {};
  }

  async chat(req: ChatRequest, options: CallOptions = {}): Promise<ChatResult> {
    const { res } = await post(this.opts, '/chat/completions', this.headers(), this.body(req, false), options.signal);
    const c = (await readJson(res, options.signal)) as Completion;
    const choice = c.choices?.[0];
    if (!choice) throw new LlmError(`chat/completions answered no choices${c.error?.message ? `: ${c.error.message}` : ''}`, res.status, false);
    const usage = usageOf(c.usage);
    return { text: choice.message?.content ?? '', model: c.model ?? req.model ?? this.opts.model, ...(usage ? { usage } : {}), ...(choice.finish_reason ? { finishReason: choice.finish_reason } : {}) };
  }

  async *stream(req: ChatRequest, options: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const { res, deadline } = await post(this.opts, '/chat/completions', { accept: 'text/event-stream', ...this.headers() }, this.body(req, true), options.signal);
    let text = '';
    let model = req.model ?? this.opts.model;
    let usage: Usage | undefined;
    let finishReason: string | undefined;
    for await (const e of serverSentEvents(res, deadline)) {
      if (e.data === '[DONE]') break;
      const c = JSON.parse(e.data) as Completion;
      if (c.error) throw new LlmError(`stream failed: ${c.error.message ?? 'error'}`, 200, false);
      if (c.model) model = c.model;
      usage = usageOf(c.usage) ?? usage;
      const choice = c.choices?.[0];
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      const delta = choice?.delta?.content;
      if (delta) {
        text += delta;
        yield { type: 'text', text: delta };
      }
    }
    yield { type: 'done', result: { text, model, ...(usage ? { usage } : {}), ...(finishReason ? { finishReason } : {}) } };
  }
}
