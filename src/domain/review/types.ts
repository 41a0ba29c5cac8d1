/**
 * Human review queues: predictions (sampled, low confidence, or matching a rule) and LLM outputs land in a queue;
 * reviewers label them from the queue's label set; agreement between reviewers is measured on the items several of
 * them labelled; labelled items become a dataset version. Times are epoch milliseconds.
 */

/** What a queue collects from: a deployment's or a model's logged predictions, a project's LLM traces, or only what is pushed. */
export const QUEUE_SCOPES = ['deployment', 'model', 'llm', 'project'] as const;
export type QueueScope = (typeof QUEUE_SCOPES)[number];

export const ITEM_SOURCES = ['prediction', 'trace', 'api'] as const;
export type ItemSource = (typeof ITEM_SOURCES)[number];

/** Why an item is in the queue: the first trigger that took it, `all` when the queue has none, `api` when pushed. */
export const ITEM_REASONS = ['rule', 'low_confidence', 'sampled', 'all', 'api'] as const;
export type ItemReason = (typeof ITEM_REASONS)[number];

export interface QueueSpec {
  /** The labels reviewers choose from, in the order the UI numbers them (keys 1–9). */
  readonly labels: readonly string[];
  readonly instructions?: string;
  /** Take this fraction of predictions or traces, chosen by a stable hash of their id. */
  readonly sampleRate?: number;
  /** Take predictions whose confidence (the top class probability) is below the threshold. */
  readonly lowConfidence?: { readonly threshold: number; readonly output?: string };
  /** Take what matches a filter over the item's fields: `amount > 1000 and country IN ('FR', 'DE')` (search grammar). */
  readonly rule?: string;
  /** Who items are assigned to, round the pool; empty: anyone with USE labels anything. */
  readonly reviewers: readonly string[];
  /** Fraction of items given to more than one reviewer, for agreement. */
  readonly overlap: number;
  /** How many reviewers an overlapping item gets (at most the pool's size). */
  readonly reviewersPerItem: number;
}

export interface ReviewQueue {
  readonly name: string;
  readonly project: string;
  readonly scope: QueueScope;
  /** The deployment, the registered model, or the traces' project; absent for `project` queues. */
  readonly target?: string;
  readonly description?: string;
  readonly spec: QueueSpec;
  /** The newest source time pulled so far; the next pull starts there. */
  readonly cursor: number;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface ItemOrigin {
  readonly kind: ItemSource;
  /** Prediction id (`/row` appended for a row of a batch), trace id, or the caller's id for a pushed item. */
  readonly id: string;
  readonly deployment?: string;
  readonly model?: string;
  readonly version?: string;
}

export interface ReviewLabel {
  readonly reviewer: string;
  readonly label: string;
  readonly comment?: string;
  readonly at: number;
}

export interface ReviewItem {
  readonly id: string;
  readonly queue: string;
  readonly source: ItemOrigin;
  readonly reason: ItemReason;
  /** What the reviewer sees: model inputs and outputs flattened to named values, or a trace's input and output. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The model's answer, when it has one. */
  readonly predicted?: string;
  /** The top class probability, for predictions of a classifier. */
  readonly confidence?: number;
  readonly assigned: readonly string[];
  /** When the source happened (prediction time, trace start, push time). */
  readonly time: number;
  readonly createdAt: number;
  readonly labels: readonly ReviewLabel[];
}

export type NewReviewItem = Omit<ReviewItem, 'labels'>;

export interface QueueStats {
  readonly items: number;
  /** Items with at least one label. */
  readonly labelled: number;
  /** Items with as many labels as reviewers assigned (at least one). */
  readonly complete: number;
  readonly labelCounts: Readonly<Record<string, number>>;
  readonly reviewers: readonly { readonly reviewer: string; readonly assigned: number; readonly labelled: number }[];
}

export interface PairAgreement {
  readonly reviewers: readonly [string, string];
  readonly items: number;
  readonly observed: number;
  readonly kappa: number | null;
}

export interface Agreement {
  /** Items labelled by two or more reviewers. */
  readonly items: number;
  readonly reviewers: readonly string[];
  /** Share of agreeing reviewer pairs over those items. */
  readonly observed: number;
  readonly fleiss: { readonly kappa: number | null; readonly expected: number; readonly interpretation: string };
  /** Cohen's kappa of every two reviewers who labelled the same items. */
  readonly pairs: readonly PairAgreement[];
}
