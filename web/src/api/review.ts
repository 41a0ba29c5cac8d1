import type { Agreement, QueueStats, ReviewItem, ReviewQueue } from '../../../src/domain/review/types';
import { get, put } from './client';

/** Human review queues (src/api/v1/review.routes.ts). */
export type { Agreement, QueueStats, ReviewItem, ReviewQueue } from '../../../src/domain/review/types';

const enc = encodeURIComponent;
const Q = '/api/v1/review/queues';

export const reviewApi = {
  list: (signal?: AbortSignal) => get<{ items: ReviewQueue[] }>(Q, undefined, signal),
  get: (name: string, signal?: AbortSignal) => get<{ queue: ReviewQueue; stats: QueueStats }>(`${Q}/${enc(name)}`, undefined, signal),
  items: (name: string, status: 'todo' | 'all', signal?: AbortSignal) => get<{ items: ReviewItem[]; nextPageToken?: string }>(`${Q}/${enc(name)}/items`, { status, maxResults: 1000 }, signal),
  agreement: (name: string, signal?: AbortSignal) => get<Agreement>(`${Q}/${enc(name)}/agreement`, undefined, signal),
  label: (name: string, id: string, label: string, comment?: string) => put<ReviewItem>(`${Q}/${enc(name)}/items/${enc(id)}/label`, { label, ...(comment ? { comment } : {}) }),
};
