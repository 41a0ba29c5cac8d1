import type { NewReviewItem, QueueSpec, ReviewItem, ReviewLabel, ReviewQueue } from './types.js';

export type ItemFilter = { readonly kind: 'all' } | { readonly kind: 'labelled' } | { readonly kind: 'todo'; readonly reviewer: string; readonly assignedOnly: boolean };

/** Review queues, their items and the labels reviewers gave. Items list in source-time order. */
export interface ReviewStore {
  createQueue(queue: ReviewQueue): Promise<void>;
  getQueue(name: string): Promise<ReviewQueue | undefined>;
  listQueues(): Promise<ReviewQueue[]>;
  setCursor(name: string, cursor: number): Promise<void>;
  /**
   * Replaces a queue's description and settings; with `unlabelledOnly`, only while none of its items has a label
   * (checked in the same transaction). 'labelled' when refused for that, 'missing' when there is no such queue.
   */
  updateQueue(name: string, update: { description: string | null; spec: QueueSpec }, opts: { unlabelledOnly: boolean }): Promise<'updated' | 'labelled' | 'missing'>;
  /** Removes the queue with its items and labels; false when there was none. */
  deleteQueue(name: string): Promise<boolean>;
  /** Adds the items whose source is not in the queue yet, in order; returns those added. */
  addItems(items: readonly NewReviewItem[]): Promise<NewReviewItem[]>;
  /** Every item of a queue with its labels, oldest source first (items of one source time in the order added). */
  items(queue: string): Promise<ReviewItem[]>;
  /**
   * One page of a queue's items in the order of `items`, filtered by the database: every item, those with a label,
   * or a reviewer's to-do (items they have not labelled; with `assignedOnly`, only those assigned to them).
   */
  itemPage(queue: string, q: { filter: ItemFilter; offset: number; limit: number }): Promise<{ items: ReviewItem[]; more: boolean }>;
  item(queue: string, id: string): Promise<ReviewItem | undefined>;
  /** A reviewer's label of an item, replacing the one they gave before. */
  putLabel(queue: string, itemId: string, label: ReviewLabel): Promise<void>;
}
