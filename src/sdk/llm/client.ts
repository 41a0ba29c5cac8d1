import { z } from 'zod';
import { Redactor, type RedactionOptions } from '../../domain/llmops/redaction.js';
import { DEFAULT_LLM_RETRY, realClock, withRetries, type LlmRetryOptions, type RetryClock } from './retry.js';
import type { ActiveSpan, LlmTracer } from './tracer.js';
import { LlmError, type ChatMessage, type ChatRequest, type ChatResult, type LlmProvider, type StreamEvent } from './types.js';

/** What a call is about, for its trace and its budgets. */
export interface CallContext {
  /** The span's name; `chat <model>` by default, as the GenAI conventions name it. */
  readonly name?: string;
  readonly promptName?: string;
  readonly promptVersion?: string;
  readonly userId?: string;
  readonly sessionId?: string;
  readonly signal?: AbortSignal;
}

export type LlmCall = ChatRequest & CallContext;

export interface LlmClientOptions {
  readonly provider: LlmProvider;
  /** Every call becomes an `llm` span, nested in the tracer's current span. */
  readonly tracer?: LlmTracer;
  readonly retry?: Partial<LlmRetryOptions>;
  /** Redact PII from messages before the request leaves the process. */
  readonly redact?: boolean | RedactionOptions;
  /** Ask the server's budget check before each call and refuse it when a hard-stop budget is spent (needs `tracer`). */
  readonly enforceBudgets?: boolean;
  /** Seams for tests. */
  readonly clock?: RetryClock;
}

/** A call refused because a hard-stop budget that applies to it is spent. */
export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
  constructor(readonly budgets: readonly { name: string; spentUsd: number; limitUsd: number }[]) {
    super(`budget exhausted: ${budgets.map((b) => `${b.name} ($${b.spentUsd.toFixed(4)} of $${b.limitUsd})`).join(', ')}`);
  }
}

/** The model's answer did not parse as JSON or did not match the schema, after the repair attempts. */
export class StructuredOutputError extends Error {
  override readonly name = 'StructuredOutputError';
  constructor(message: string, readonly text: string, readonly issues: readonly z.core.$ZodIssue[]) {
    super(message);
  }
}

/**
 * LLM calls behind the provider interface: retries with exponential backoff and full jitter on 429/5xx and timeouts
 * (honouring Retry-After), optional redaction before the request leaves, an optional hard stop on budgets, structured
 * outputs validated by zod schemas, and a span for every call.
 */
export class LlmClient {
  readonly provider: LlmProvider;
  private readonly retry: LlmRetryOptions;
  private readonly redactor: Redactor | undefined;
  private readonly clock: RetryClock;

  constructor(private readonly options: LlmClientOptions) {
    this.provider = options.provider;
    this.retry = { ...DEFAULT_LLM_RETRY, ...options.retry };
    this.redactor = options.redact ? new Redactor(options.redact === true ? {} : options.redact) : undefined;
    this.clock = options.clock ?? realClock;
  }

  async chat(call: LlmCall): Promise<ChatResult> {
    return this.traced(call, async (request, span) => {
      let attempts = 0;
      const result = await withRetries(async () => {
        attempts++;
        return this.provider.chat(request, call.signal ? { signal: call.signal } : {});
      }, this.retry, this.clock);
      this.record(span, result, attempts);
      return result;
    });
  }

  /**
   * Streams the answer. A failure before the first piece of text is retried like `chat`; once text has been handed
   * out, a failure ends the stream with the error (the caller has already used part of the answer).
   */
  async *stream(call: LlmCall): AsyncGenerator<StreamEvent> {
    const events: StreamEvent[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const push = (e: StreamEvent) => {
      events.push(e);
      wake?.();
    };
    const done = this.traced(call, async (request, span) => {
      let attempts = 0;
      let started = false;
      const result = await withRetries(async () => {
        attempts++;
        let final: ChatResult | undefined;
        try {
          for await (const e of this.provider.stream(request, call.signal ? { signal: call.signal } : {})) {
            if (e.type === 'done') final = e.result;
            else {
              started = true;
              push(e);
            }
          }
        } catch (err) {
          if (started && err instanceof LlmError) throw new LlmError(err.message, err.status, false, undefined, { cause: err });
          throw err;
        }
        if (!final) throw new LlmError('the stream ended without a result', 0, !started);
        return final;
      }, this.retry, this.clock);
      span?.set({ attributes: { 'gen_ai.request.stream': true } });
      this.record(span, result, attempts);
      push({ type: 'done', result });
    }).catch((err: unknown) => {
      failure = err;
    }).finally(() => {
      finished = true;
      wake?.();
    });
    for (;;) {
      if (events.length > 0) {
        yield events.shift()!;
        continue;
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
    await done;
    if (failure !== undefined) throw failure;
  }

  /**
   * Asks for JSON matching `schema` (sent as a JSON Schema: OpenAI-compatible providers get it as
   * `response_format`, every provider in the instructions), parses the answer as JSON and validates it with the
   * schema. An answer that does not validate goes back to the model with the validation issues, `repairAttempts` times.
   */
  async generateObject<S extends z.ZodType>(schema: S, call: LlmCall & { readonly schemaName?: string; readonly repairAttempts?: number }): Promise<{ object: z.output<S>; result: ChatResult }> {
    const jsonSchema = z.toJSONSchema(schema) as Record<string, unknown>;
    const instruction: ChatMessage = { role: 'system', content: `Answer with JSON only, no prose, matching this JSON Schema:\n${JSON.stringify(jsonSchema)}` };
    let messages: ChatMessage[] = [instruction, ...call.messages];
    let last: StructuredOutputError | undefined;
    for (let attempt = 0; attempt <= (call.repairAttempts ?? 1); attempt++) {
      const result = await this.chat({ ...call, messages, jsonSchema: { name: call.schemaName ?? 'output', schema: jsonSchema } });
      const parsed = parseJson(result.text);
      const checked = parsed.ok ? schema.safeParse(parsed.value) : undefined;
      if (checked?.success) return { object: checked.data as z.output<S>, result };
      const issues = checked ? checked.error.issues : [];
      last = new StructuredOutputError(parsed.ok ? `the answer does not match the schema: ${z.prettifyError(checked!.error)}` : 'the answer is not JSON', result.text, issues);
      messages = [...messages, { role: 'assistant', content: result.text }, { role: 'user', content: `That answer was rejected: ${last.message}. Answer again with JSON only.` }];
    }
    throw last!;
  }

  private async traced<T>(call: LlmCall, work: (request: ChatRequest, span: ActiveSpan | undefined) => Promise<T>): Promise<T> {
    const { name, promptName, promptVersion, userId, sessionId, signal: _signal, ...chat } = call;
    const request: ChatRequest = this.redactor ? { ...chat, messages: chat.messages.map((m) => ({ ...m, content: this.redactor!.redactText(m.content).text })) } : chat;
    const model = request.model ?? this.provider.defaultModel;
    const tracer = this.options.tracer;
    const context = { ...(promptName ? { promptName } : {}), ...(promptVersion ? { promptVersion } : {}), ...(userId ? { userId } : {}), ...(sessionId ? { sessionId } : {}) };
    if (this.options.enforceBudgets && tracer) await this.checkBudget(tracer, context);
    if (!tracer) return work(request, undefined);
    return tracer.trace(name ?? `chat ${model}`, {
      kind: 'llm', provider: this.provider.name, model, input: request.messages, ...context,
      attributes: {
        'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model,
        ...(request.temperature !== undefined ? { 'gen_ai.request.temperature': request.temperature } : {}),
        ...(request.maxTokens !== undefined ? { 'gen_ai.request.max_tokens': request.maxTokens } : {}),
      },
    }, (span) => work(request, span));
  }

  private record(span: ActiveSpan | undefined, result: ChatResult, attempts: number): void {
    span?.set({
      output: result.text, model: result.model,
      ...(result.usage ? { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens } : {}),
      attributes: { 'gen_ai.response.model': result.model, ...(result.finishReason ? { 'gen_ai.response.finish_reasons': [result.finishReason] } : {}), 'openexpert.attempts': attempts },
    });
  }

  private async checkBudget(tracer: LlmTracer, context: { promptName?: string; userId?: string }): Promise<void> {
    const check = await tracer.http.request<{ allowed: boolean; budgets: { budget: { name: string; limitUsd: number; hardStop: boolean }; spentUsd: number; exceeded: boolean }[] }>(
      'GET', '/api/v1/llm/budget-check', { query: { project: tracer.project, promptName: context.promptName, userId: context.userId } },
    );
    if (!check.allowed) {
      throw new BudgetExceededError(check.budgets.filter((b) => b.budget.hardStop && b.exceeded).map((b) => ({ name: b.budget.name, spentUsd: b.spentUsd, limitUsd: b.budget.limitUsd })));
    }
  }
}

/** JSON as the whole answer, or inside it (models wrap it in prose or a code fence): from the first brace or bracket to the last. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const attempt = (s: string) => {
    try {
      return { ok: true as const, value: JSON.parse(s) as unknown };
    } catch {
      return undefined;
    }
  };
  const whole = attempt(text.trim());
  if (whole) return whole;
  const starts = [text.indexOf('{'), text.indexOf('[')].filter((i) => i >= 0);
  if (starts.length === 0) return { ok: false };
  const start = Math.min(...starts);
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  return (end > start ? attempt(text.slice(start, end + 1)) : undefined) ?? { ok: false };
}
