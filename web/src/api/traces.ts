import type { SpanNode, TraceDetail, TraceSummary } from '../../../src/domain/llmops/types';
import { get } from './client';

/** LLM traces (src/api/v1/traces.routes.ts). */
export type { SpanNode, TraceDetail, TraceSummary } from '../../../src/domain/llmops/types';

export interface TraceFilters {
  readonly project?: string;
  readonly q?: string;
  readonly userId?: string;
  readonly promptName?: string;
  readonly model?: string;
  readonly status?: string;
}

const enc = encodeURIComponent;

export const tracesApi = {
  list: (filters: TraceFilters, pageToken: string | undefined, signal?: AbortSignal) =>
    get<{ items: TraceSummary[]; nextPageToken?: string }>('/api/v1/traces', { ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== '')), maxResults: 50, pageToken }, signal),
  get: (traceId: string, signal?: AbortSignal) => get<TraceDetail>(`/api/v1/traces/${enc(traceId)}`, undefined, signal),
};

export type { SpanNode as Span };
