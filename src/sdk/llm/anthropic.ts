import { post, readJson, serverSentEvents, type HttpProviderOptions } from './http-provider.js';
import { LlmError, type CallOptions, type ChatRequest, type ChatResult, type LlmProvider, type StreamEvent } from './types.js';

export const ANTHROPIC_VERSION = '2023-06-01';

interface Message {
  model?: string;
  content?: { type: string; text?: string }[];
  stop_reason?: string | null;
  usage?: { input_tokens?: number; output_tokens?: number };
}

/**
 * Anthropic-compatible messages (`POST {baseUrl}/v1/messages`): the system prompt is a field of its own,
 * `max_tokens` is required, the key goes in `x-api-key`. Streaming is server-sent events: `message_start` carries
 * the input tokens, `content_block_delta` the text, `message_delta` the output tokens and stop reason.
 */
export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic';
  readonly defaultModel: string;
  constructor(private readonly opts: HttpProviderOptions & { readonly defaultMaxTokens?: number }) {
    this.defaultModel = opts.model;
  }

  private body(req: ChatRequest, stream: boolean) {
    const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
    return {
      model: req.model ?? this.opts.model,
      max_tokens: req.maxTokens ?? this.opts.defaultMaxTokens ?? 1024,
      ...(system ? { system } : {}),
      messages: req.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content })),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.stop ? { stop_sequences: req.stop } : {}),
      ...(stream ? { stream: true } : {}),
    };
  }

  private headers(): Record<string, string> {
    return { 'anthropic-version': ANTHROPIC_VERSION, ...(this.opts.apiKey ? { 'x-api-key': this.opts.apiKey } : {}) };
  }

  async chat(req: ChatRequest, options: CallOptions = {}): Promise<ChatResult> {
    const { res } = await post(this.opts, '/v1/messages', this.headers(), this.body(req, false), options.signal);
    const m = (await readJson(res, options.signal)) as Message;
    if (!Array.isArray(m.content)) throw new LlmError('messages answered no content', res.status, false);
    return {
      text: m.content.filter((b) => b.type === 'text').map((b) => b.text ?? '').join(''),
      model: m.model ?? req.model ?? this.opts.model,
      ...(m.usage ? { usage: { inputTokens: m.usage.input_tokens ?? 0, outputTokens: m.usage.output_tokens ?? 0 } } : {}),
      ...(m.stop_reason ? { finishReason: m.stop_reason } : {}),
    };
  }

  async *stream(req: ChatRequest, options: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const { res, deadline } = await post(this.opts, '/v1/messages', { accept: 'text/event-stream', ...this.headers() }, this.body(req, true), options.signal);
    let text = '';
    let model = req.model ?? this.opts.model;
    let inputTokens = 0;
    let outputTokens = 0;
    let finishReason: string | undefined;
    for await (const e of serverSentEvents(res, deadline)) {
      const d = JSON.parse(e.data) as {
        type?: string; message?: Message; delta?: { type?: string; text?: string; stop_reason?: string }; usage?: { output_tokens?: number; input_tokens?: number };
        error?: { type?: string; message?: string };
      };
      switch (d.type ?? e.event) {
        case 'message_start':
          if (d.message?.model) model = d.message.model;
          inputTokens = d.message?.usage?.input_tokens ?? 0;
          outputTokens = d.message?.usage?.output_tokens ?? 0;
          break;
        case 'content_block_delta':
          if (d.delta?.type === 'text_delta' && d.delta.text) {
            text += d.delta.text;
            yield { type: 'text', text: d.delta.text };
          }
          break;
        case 'message_delta':
          if (d.delta?.stop_reason) finishReason = d.delta.stop_reason;
          // Cumulative, per Anthropic's streaming reference.
          if (d.usage?.output_tokens !== undefined) outputTokens = d.usage.output_tokens;
          break;
        case 'error':
          // overloaded_error is Anthropic's 529: worth retrying; anything else mid-stream is not.
          throw new LlmError(`stream failed: ${d.error?.message ?? 'error'}`, d.error?.type === 'overloaded_error' ? 529 : 200, d.error?.type === 'overloaded_error');
        default:
          break;
      }
    }
    yield { type: 'done', result: { text, model, usage: { inputTokens, outputTokens }, ...(finishReason ? { finishReason } : {}) } };
  }
}
