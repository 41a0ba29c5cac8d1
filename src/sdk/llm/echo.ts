import type { CallOptions, ChatRequest, ChatResult, LlmProvider, StreamEvent } from './types.js';

/** Whitespace-separated words: the echo provider's stand-in for a tokenizer. */
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

/**
 * A provider that answers with the last user message (or `reply(request)` when given): for tests and local
 * development, no network. Tokens are counted as words, so costs and budgets behave as with a real model.
 */
export class EchoProvider implements LlmProvider {
  readonly name = 'echo';
  readonly defaultModel: string;
  constructor(private readonly opts: { readonly model?: string; readonly reply?: (request: ChatRequest) => string } = {}) {
    this.defaultModel = opts.model ?? 'echo-1';
  }

  async chat(req: ChatRequest, options: CallOptions = {}): Promise<ChatResult> {
    options.signal?.throwIfAborted();
    const text = this.opts.reply ? this.opts.reply(req) : ([...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '');
    return { text, model: req.model ?? this.defaultModel, usage: { inputTokens: req.messages.reduce((n, m) => n + words(m.content), 0), outputTokens: words(text) }, finishReason: 'stop' };
  }

  async *stream(req: ChatRequest, options: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const result = await this.chat(req, options);
    for (const piece of result.text.match(/\S+\s*/g) ?? []) yield { type: 'text', text: piece };
    yield { type: 'done', result };
  }
}
