import type { NewReviewItem, ReviewItem, ReviewLabel, ReviewQueue } from './types.js';

/** Review queues, their items and the labels reviewers gave. Items list in source-time order. */
export interface ReviewStore {
  createQueue(queue: ReviewQueue): Promise<void>;
  getQueue(name: string): Promise<ReviewQueue | undefined>;
  listQueues(): Promise<ReviewQueue[]>;
  setCursor(name: string, cursor: number): Promise<void>;
  /** Removes the queue with its items and labels; false when there was none. */
  deleteQueue(name: string): Promise<boolean>;
  /** Adds the items whose source is not in the queue yet, in order; returns those added. */
  addItems(items: readonly NewReviewItem[]): Promise<NewReviewItem[]>;
  /** Every item of a queue with its labels, oldest source first (items of one source time in the order added). */
  items(queue: string): Promise<ReviewItem[]>;
  item(queue: string, id: string): Promise<ReviewItem | undefined>;
  /** A reviewer's label of an item, replacing the one they gave before. */
  putLabel(queue: string, itemId: string, label: ReviewLabel): Promise<void>;
}
