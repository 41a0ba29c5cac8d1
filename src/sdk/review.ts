import type { CreateQueueSchema, ExportResult, ExportSchema, ItemStatus, PushItemsSchema, UpdateQueueSchema } from '../domain/review/review.service.js';
import type { Agreement, QueueStats, ReviewItem, ReviewQueue } from '../domain/review/types.js';
import type { z } from 'zod';
import type { HttpClient } from './http.js';

const enc = encodeURIComponent;
const Q = '/api/v1/review/queues';

/** A queue as a caller writes it: reviewers, overlap and reviewersPerItem have the server's defaults. */
export type CreateQueueOptions = z.input<typeof CreateQueueSchema>;
/** What to change on a queue; `null` removes an optional setting. */
export type UpdateQueueOptions = z.input<typeof UpdateQueueSchema>;
export type PushedItem = z.input<typeof PushItemsSchema>['items'][number];

/**
 * Human review queues: predictions and LLM outputs labelled by reviewers, their agreement, and export to datasets.
 *
 * ```ts
 * await oe.review.create({ name: 'loan-review', scope: 'deployment', target: 'loans', labels: ['approve', 'reject'], lowConfidence: { threshold: 0.7 } });
 * await oe.review.pull('loan-review');
 * const [next] = await oe.review.items('loan-review', { status: 'todo' });
 * await oe.review.label('loan-review', next.id, 'approve', 'income checked');
 * (await oe.review.agreement('loan-review')).fleiss.kappa;
 * ```
 */
export class Review {
  constructor(private readonly http: HttpClient) {}

  create(queue: CreateQueueOptions): Promise<ReviewQueue> {
    return this.http.request<ReviewQueue>('POST', Q, { body: queue });
  }

  async list(project?: string): Promise<ReviewQueue[]> {
    return (await this.http.request<{ items: ReviewQueue[] }>('GET', Q, { query: { project } })).items;
  }

  get(name: string): Promise<{ queue: ReviewQueue; stats: QueueStats }> {
    return this.http.request('GET', `${Q}/${enc(name)}`);
  }

  /** Changes a queue's settings; its labels only while no item has a label. */
  update(name: string, changes: UpdateQueueOptions): Promise<ReviewQueue> {
    return this.http.request<ReviewQueue>('PATCH', `${Q}/${enc(name)}`, { body: changes });
  }

  delete(name: string): Promise<void> {
    return this.http.request('DELETE', `${Q}/${enc(name)}`);
  }

  pull(name: string, limit?: number): Promise<{ scanned: number; added: number; reasons: Record<string, number> }> {
    return this.http.request('POST', `${Q}/${enc(name)}/pull`, { body: limit !== undefined ? { limit } : {} });
  }

  push(name: string, items: readonly PushedItem[]): Promise<{ added: number; items: ReviewItem[] }> {
    return this.http.request('POST', `${Q}/${enc(name)}/items`, { body: { items } });
  }

  /** Every item (or the caller's `todo`, or the `labelled` ones), oldest first, following page tokens. */
  async items(name: string, opts: { status?: ItemStatus; reviewer?: string } = {}): Promise<ReviewItem[]> {
    const out: ReviewItem[] = [];
    let pageToken: string | undefined;
    do {
      const page: { items: ReviewItem[]; nextPageToken?: string } = await this.http.request('GET', `${Q}/${enc(name)}/items`, {
        query: { status: opts.status, reviewer: opts.reviewer, maxResults: '1000', pageToken },
      });
      out.push(...page.items);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return out;
  }

  label(name: string, itemId: string, label: string, comment?: string): Promise<ReviewItem> {
    return this.http.request('PUT', `${Q}/${enc(name)}/items/${enc(itemId)}/label`, { body: { label, ...(comment !== undefined ? { comment } : {}) } });
  }

  agreement(name: string): Promise<Agreement> {
    return this.http.request('GET', `${Q}/${enc(name)}/agreement`);
  }

  export(name: string, options: z.input<typeof ExportSchema>): Promise<ExportResult> {
    return this.http.request('POST', `${Q}/${enc(name)}/export`, { body: options });
  }
}
