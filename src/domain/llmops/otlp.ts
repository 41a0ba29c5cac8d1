/**
 * OTLP traces (JSON encoding, and protobuf decoded to the same shape) mapped to LLM spans, reading the OpenTelemetry
 * GenAI semantic conventions: `gen_ai.operation.name` gives the kind, `gen_ai.request.model`/`gen_ai.response.model`
 * the model, `gen_ai.provider.name` (formerly `gen_ai.system`) the provider, `gen_ai.usage.input_tokens` /
 * `output_tokens` (formerly `prompt_tokens`/`completion_tokens`) the tokens, `gen_ai.input.messages` /
 * `gen_ai.output.messages` (formerly `gen_ai.prompt`/`gen_ai.completion` and the `gen_ai.*.message` events) the
 * inputs and outputs. Every attribute is kept on the span as well.
 */
import { invalid } from '../../core/errors.js';
import type { Span, SpanKind, SpanStatus } from './types.js';

export interface OtlpAnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values?: readonly OtlpAnyValue[] };
  readonly kvlistValue?: { readonly values?: readonly OtlpKeyValue[] };
  readonly bytesValue?: string;
}
export interface OtlpKeyValue {
  readonly key: string;
  readonly value?: OtlpAnyValue;
}
export interface OtlpEvent {
  readonly timeUnixNano?: string | number;
  readonly name?: string;
  readonly attributes?: readonly OtlpKeyValue[];
}
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind?: number;
  readonly startTimeUnixNano?: string | number;
  readonly endTimeUnixNano?: string | number;
  readonly attributes?: readonly OtlpKeyValue[];
  readonly events?: readonly OtlpEvent[];
  readonly status?: { readonly code?: number | string; readonly message?: string };
}
export interface OtlpRequest {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly OtlpKeyValue[] };
    readonly scopeSpans?: readonly { readonly scope?: { readonly name?: string; readonly version?: string }; readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

export function anyValueOf(v: OtlpAnyValue | undefined): unknown {
  if (v === undefined) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(anyValueOf);
  if (v.kvlistValue !== undefined) return attributesOf(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

export const attributesOf = (kvs: readonly OtlpKeyValue[] | undefined): Record<string, unknown> =>
  Object.fromEntries((kvs ?? []).map((kv) => [kv.key, anyValueOf(kv.value)]));

/** OTLP/JSON ids are hex; some exporters (protobuf-JSON mappers) send base64 instead, which is turned into hex. */
function idOf(raw: string | undefined, bytes: number, what: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(raw)) return raw.toLowerCase();
  const b = Buffer.from(raw, 'base64');
  if (b.length === bytes) return b.toString('hex');
  throw invalid(`Invalid ${what} '${raw}': expected ${bytes} bytes as hex`);
}

const nanosToMs = (n: string | number | undefined): number | undefined => {
  if (n === undefined || n === '' || n === 0 || n === '0') return undefined;
  const big = BigInt(n);
  return Number(big / 1000n) / 1000;
};

const KIND_BY_OPERATION: Readonly<Record<string, SpanKind>> = {
  chat: 'llm', text_completion: 'llm', generate_content: 'llm', embeddings: 'embedding', execute_tool: 'tool',
  invoke_agent: 'agent', create_agent: 'agent', invoke_workflow: 'chain', retrieval: 'retrieval',
};

/** OpenInference (Arize Phoenix, OpenLLMetry's siblings) names the kind in `openinference.span.kind`. */
const KIND_BY_OPENINFERENCE: Readonly<Record<string, SpanKind>> = {
  LLM: 'llm', CHAIN: 'chain', RETRIEVER: 'retrieval', EMBEDDING: 'embedding', TOOL: 'tool', AGENT: 'agent',
};

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
/** Message attributes are JSON text in the conventions; a value that is not JSON stays as it is. */
const parsedJson = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
};

const MESSAGE_EVENTS = new Set(['gen_ai.system.message', 'gen_ai.user.message', 'gen_ai.assistant.message', 'gen_ai.tool.message']);

function messagesFromEvents(events: readonly OtlpEvent[] | undefined): { input?: unknown[]; output?: unknown[] } {
  const input: unknown[] = [];
  const output: unknown[] = [];
  for (const e of events ?? []) {
    const attrs = attributesOf(e.attributes);
    if (e.name !== undefined && MESSAGE_EVENTS.has(e.name)) input.push({ role: e.name.split('.')[1], ...attrs });
    else if (e.name === 'gen_ai.choice') output.push(attrs);
    else if (e.name === 'gen_ai.content.prompt') input.push(parsedJson(attrs['gen_ai.prompt']));
    else if (e.name === 'gen_ai.content.completion') output.push(parsedJson(attrs['gen_ai.completion']));
  }
  return { ...(input.length ? { input } : {}), ...(output.length ? { output } : {}) };
}

/** Attributes that hold inputs and outputs are read into `input`/`output`, not kept twice. */
const CONTENT_KEYS = ['gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.prompt', 'gen_ai.completion', 'openexpert.input', 'openexpert.output', 'gen_ai.tool.call.arguments', 'gen_ai.tool.call.result', 'gen_ai.retrieval.documents', 'gen_ai.retrieval.query.text'];
const withoutContent = (a: Record<string, unknown>) => Object.fromEntries(Object.entries(a).filter(([k]) => !CONTENT_KEYS.includes(k)));

export interface MappedSpan extends Span {
  /** `openexpert.project` on the resource or span, when the sender named one. */
  readonly project?: string;
}

export function spansFromOtlp(request: OtlpRequest): MappedSpan[] {
  const out: MappedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributesOf(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const a = attributesOf(s.attributes);
        const traceId = idOf(s.traceId, 16, 'traceId');
        const spanId = idOf(s.spanId, 8, 'spanId');
        if (!traceId || !spanId) throw invalid('Every span needs a traceId and a spanId');
        const parentSpanId = idOf(s.parentSpanId, 8, 'parentSpanId');
        const startTime = nanosToMs(s.startTimeUnixNano);
        if (startTime === undefined) throw invalid(`Span '${spanId}' has no startTimeUnixNano`);
        const endTime = nanosToMs(s.endTimeUnixNano);
        const operation = str(a['gen_ai.operation.name']);
        const kind: SpanKind = (str(a['openexpert.span.kind']) as SpanKind | undefined) ?? (operation ? KIND_BY_OPERATION[operation] : undefined)
          ?? KIND_BY_OPENINFERENCE[str(a['openinference.span.kind'])?.toUpperCase() ?? ''] ?? 'span';
        const code = s.status?.code;
        const status: SpanStatus = code === 2 || code === 'STATUS_CODE_ERROR' ? 'error' : code === 1 || code === 'STATUS_CODE_OK' ? 'ok' : 'unset';
        const fromEvents = messagesFromEvents(s.events);
        const input = a['gen_ai.input.messages'] ?? a['gen_ai.prompt'] ?? a['openexpert.input'] ?? a['gen_ai.tool.call.arguments'] ?? a['gen_ai.retrieval.query.text'];
        const output = a['gen_ai.output.messages'] ?? a['gen_ai.completion'] ?? a['openexpert.output'] ?? a['gen_ai.tool.call.result'] ?? a['gen_ai.retrieval.documents'];
        const error = s.status?.message || str(a['error.type']) || (status === 'error' ? 'error' : undefined);
        const project = str(a['openexpert.project']) ?? str(resource['openexpert.project']);
        const model = str(a['gen_ai.response.model']) ?? str(a['gen_ai.request.model']);
        const provider = str(a['gen_ai.provider.name']) ?? str(a['gen_ai.system']);
        const inputTokens = num(a['gen_ai.usage.input_tokens']) ?? num(a['gen_ai.usage.prompt_tokens']);
        const outputTokens = num(a['gen_ai.usage.output_tokens']) ?? num(a['gen_ai.usage.completion_tokens']);
        const cost = num(a['openexpert.cost']) ?? num(a['gen_ai.usage.cost']);
        const promptName = str(a['gen_ai.prompt.name']) ?? str(a['openexpert.prompt.name']);
        const promptVersion = str(a['gen_ai.prompt.version']) ?? str(a['openexpert.prompt.version']);
        const userId = str(a['user.id']) ?? str(a['enduser.id']) ?? str(resource['user.id']);
        const sessionId = str(a['session.id']) ?? str(a['gen_ai.conversation.id']);
        const serviceName = str(resource['service.name']);
        out.push({
          traceId, spanId, ...(parentSpanId ? { parentSpanId } : {}), name: s.name || '(unnamed)', kind, startTime, ...(endTime !== undefined ? { endTime } : {}), status,
          ...(status === 'error' && error ? { error } : {}),
          ...(input !== undefined ? { input: parsedJson(input) } : fromEvents.input ? { input: fromEvents.input } : {}),
          ...(output !== undefined ? { output: parsedJson(output) } : fromEvents.output ? { output: fromEvents.output } : {}),
          ...(model ? { model } : {}), ...(provider ? { provider } : {}), ...(inputTokens !== undefined ? { inputTokens } : {}), ...(outputTokens !== undefined ? { outputTokens } : {}),
          ...(cost !== undefined ? { cost } : {}), ...(promptName ? { promptName } : {}), ...(promptVersion ? { promptVersion } : {}), ...(userId ? { userId } : {}),
          ...(sessionId ? { sessionId } : {}), ...(project ? { project } : {}),
          attributes: { ...withoutContent(a), ...(serviceName ? { 'service.name': serviceName } : {}), ...(ss.scope?.name ? { 'otel.scope.name': ss.scope.name } : {}) },
        });
      }
    }
  }
  return out;
}
