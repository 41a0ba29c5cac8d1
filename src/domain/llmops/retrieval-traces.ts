/**
 * Retrieved lists read from logged traces: the retrieval spans an application sent (natively, or over OTLP with the
 * GenAI conventions or OpenInference's), matched to an evaluation set's questions, become the `retrieved` lists of a
 * retrieval evaluation, so production retrievals are measured without running the retriever again.
 *
 * What a stored retrieval span holds, by sender:
 * - GenAI semantic conventions over OTLP: `gen_ai.retrieval.query.text` became the span's `input` and
 *   `gen_ai.retrieval.documents` (a JSON array of `{id, score}`) its `output` (see otlp.ts);
 * - OpenInference over OTLP (`openinference.span.kind` RETRIEVER): the question in the attribute `input.value`, the
 *   documents flattened into `retrieval.documents.<i>.document.id` attributes;
 * - the SDK's native spans: `input` the question (or `{query}`), `output` the ids (or `{id}` objects).
 * A question is matched by the span attribute `openexpert.query.id` when the application set it, else by its text
 * (trimmed, case and runs of white space ignored). A question asked several times takes its latest retrieval.
 */
import type { RetrievalQuery, RetrievedList } from './retrieval-evaluation.js';
import type { StoredSpan } from './types.js';

const normalized = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

const textOf = (v: unknown): string | undefined => {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const key of ['query', 'question', 'text', 'input']) if (typeof o[key] === 'string' && o[key] !== '') return o[key];
  }
  return undefined;
};

/** The question a retrieval span answered. */
export function retrievalQueryOf(span: StoredSpan): string | undefined {
  return textOf(span.input) ?? textOf(span.attributes['input.value']) ?? textOf(span.attributes['retrieval.query']);
}

const idOf = (d: unknown): string | undefined => {
  if (typeof d === 'string' && d !== '') return d;
  if (typeof d === 'number' && Number.isFinite(d)) return String(d);
  if (d && typeof d === 'object' && !Array.isArray(d)) {
    const o = d as Record<string, unknown>;
    return idOf(o.id) ?? idOf(o['document.id']) ?? idOf((o.document as Record<string, unknown> | undefined)?.id) ?? idOf((o.metadata as Record<string, unknown> | undefined)?.id);
  }
  return undefined;
};

/** The document ids a retrieval span returned, best first. */
export function retrievedIdsOf(span: StoredSpan): string[] {
  const out = span.output;
  const list = Array.isArray(out) ? out : out && typeof out === 'object' && Array.isArray((out as { documents?: unknown }).documents) ? (out as { documents: unknown[] }).documents : undefined;
  if (list) return list.map(idOf).filter((id): id is string => id !== undefined);
  // OpenInference flattens the list: retrieval.documents.0.document.id, retrieval.documents.1.document.id, …
  const flat: [number, string][] = [];
  for (const [key, value] of Object.entries(span.attributes)) {
    const m = /^retrieval\.documents\.(\d+)\.document\.id$/.exec(key);
    const id = m ? idOf(value) : undefined;
    if (m && id !== undefined) flat.push([Number(m[1]), id]);
  }
  return flat.sort((a, b) => a[0] - b[0]).map(([, id]) => id);
}

export interface RetrievedFromTraces {
  readonly retrieved: RetrievedList[];
  /** Questions no retrieval span matched: they count as having retrieved nothing. */
  readonly unmatched: string[];
  /** Retrieval spans that matched no question. */
  readonly unusedSpans: number;
}

export function retrievedFromSpans(queries: readonly RetrievalQuery[], spans: readonly StoredSpan[]): RetrievedFromTraces {
  const byText = new Map<string, string>();
  const ids = new Set(queries.map((q) => q.id));
  for (const q of queries) if (q.text !== undefined) byText.set(normalized(q.text), q.id);
  const latest = new Map<string, StoredSpan>();
  let unusedSpans = 0;
  for (const span of spans) {
    const tagged = span.attributes['openexpert.query.id'];
    const text = retrievalQueryOf(span);
    const queryId = typeof tagged === 'string' && ids.has(tagged) ? tagged : text !== undefined ? byText.get(normalized(text)) : undefined;
    if (queryId === undefined) {
      unusedSpans++;
      continue;
    }
    const seen = latest.get(queryId);
    if (!seen || span.startTime >= seen.startTime) latest.set(queryId, span);
  }
  return {
    retrieved: [...latest].map(([queryId, span]) => ({ queryId, documents: retrievedIdsOf(span) })),
    unmatched: queries.filter((q) => !latest.has(q.id)).map((q) => q.id),
    unusedSpans,
  };
}
