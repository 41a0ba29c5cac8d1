/** What every provider takes and gives: chat messages in, text and token usage out. */
export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: Role;
  readonly content: string;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  /** The provider's default model when absent. */
  readonly model?: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly stop?: readonly string[];
  /** Ask for JSON matching this JSON Schema (OpenAI-compatible providers send it as `response_format`). */
  readonly jsonSchema?: { readonly name: string; readonly schema: Record<string, unknown> };
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface ChatResult {
  readonly text: string;
  readonly model: string;
  readonly usage?: Usage;
  readonly finishReason?: string;
}

/** A streamed answer: text as it arrives, then one `done` with what a non-streamed call would have answered. */
export type StreamEvent = { readonly type: 'text'; readonly text: string } | { readonly type: 'done'; readonly result: ChatResult };

export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** One LLM API behind a common shape; chosen by configuration (see `createProvider`). */
export interface LlmProvider {
  /** As `gen_ai.provider.name` names it: `openai`, `anthropic`, `echo`. */
  readonly name: string;
  readonly defaultModel: string;
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult>;
  stream(request: ChatRequest, options?: CallOptions): AsyncIterable<StreamEvent>;
}

/** A provider's HTTP error: `retryable` for 429 and 5xx (and timeouts, connection failures), with the server's Retry-After. */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
