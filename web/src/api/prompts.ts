import type { PromptDetail, PromptDiff, PromptSummary } from '../../../src/domain/prompts/types';
import type { TransitionRecord } from '../../../src/domain/registry/types';
import { get } from './client';

/** The prompt registry (src/api/v1/prompts.routes.ts). */
export type { PromptDetail, PromptDiff, PromptSummary, PromptVersion } from '../../../src/domain/prompts/types';
export type LabelMove = Omit<TransitionRecord, 'target'> & { target: string };

const enc = encodeURIComponent;

export const promptsApi = {
  list: async (signal?: AbortSignal): Promise<PromptSummary[]> => (await get<{ items: PromptSummary[] }>('/api/v1/prompts', undefined, signal)).items,
  get: (name: string, signal?: AbortSignal): Promise<PromptDetail> => get(`/api/v1/prompts/${enc(name)}`, undefined, signal),
  diff: (name: string, from: string, to: string, signal?: AbortSignal): Promise<PromptDiff> => get(`/api/v1/prompts/${enc(name)}/diff`, { from, to }, signal),
  history: async (name: string, signal?: AbortSignal): Promise<LabelMove[]> => (await get<{ items: LabelMove[] }>(`/api/v1/prompts/${enc(name)}/history`, undefined, signal)).items,
};
