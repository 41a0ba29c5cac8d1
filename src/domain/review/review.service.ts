import { z } from 'zod';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { DomainError, invalid, notFound } from '../../core/errors.js';
import { newHexId } from '../../core/ids.js';
import type { Access, ObjectResource } from '../access/access.js';
import { DEFAULT_PROJECT, validateProjectName } from '../projects/types.js';
import type { PredictionRecord } from '../serving/types.js';
import { stickyUnit } from '../serving/router.js';
import { cohensKappa, fleissKappa, kappaWords } from './agreement.js';
import { predictionItems, traceFields } from './item-sources.js';
import type { ItemFilter, ReviewStore } from './review.store.js';
import { compileRule, type Rule } from './rule.js';
import {
  QUEUE_SCOPES, type Agreement, type ItemReason, type NewReviewItem, type PairAgreement, type QueueSpec, type QueueStats, type ReviewItem, type ReviewQueue,
} from './types.js';

const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const Label = z.string().min(1).max(128);
const Reviewer = z.string().min(1).max(256);

/** POST /review/queues. */
export const CreateQueueSchema = z.object({
  name: z.string().regex(QUEUE_NAME, 'must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit'),
  scope: z.enum(QUEUE_SCOPES),
  /** The deployment, the registered model, or the traces' project (default: the queue's project); none for `project`. */
  target: z.string().min(1).max(512).optional(),
  project: z.string().optional(),
  description: z.string().max(2000).optional(),
  labels: z.array(Label).min(2).max(20).refine((l) => new Set(l).size === l.length, 'must not repeat a label'),
  instructions: z.string().max(10_000).optional(),
  sampleRate: z.number().gt(0).max(1).optional(),
  lowConfidence: z.object({ threshold: z.number().gt(0).max(1), output: z.string().min(1).max(256).optional() }).strict().optional(),
  rule: z.string().min(1).max(2000).optional(),
  reviewers: z.array(Reviewer).max(100).refine((r) => new Set(r).size === r.length, 'must not repeat a reviewer').default([]),
  overlap: z.number().min(0).max(1).default(0),
  reviewersPerItem: z.number().int().min(2).max(20).default(2),
}).strict();
export type CreateQueueInput = z.output<typeof CreateQueueSchema>;

/**
 * PATCH /review/queues/:name: what may change on a queue; `null` removes an optional setting. Triggers and assignment
 * apply to items added from then on; items already queued keep their reason and reviewers. The name, scope and target
 * stay: grants, lineage and the pull cursor refer to them.
 */
export const UpdateQueueSchema = z.object({
  description: z.string().max(2000).nullable().optional(),
  instructions: z.string().max(10_000).nullable().optional(),
  labels: CreateQueueSchema.shape.labels.optional(),
  sampleRate: z.number().gt(0).max(1).nullable().optional(),
  lowConfidence: CreateQueueSchema.shape.lowConfidence.unwrap().nullable().optional(),
  rule: z.string().min(1).max(2000).nullable().optional(),
  reviewers: CreateQueueSchema.shape.reviewers.unwrap().optional(),
  overlap: z.number().min(0).max(1).optional(),
  reviewersPerItem: z.number().int().min(2).max(20).optional(),
}).strict().refine((u) => Object.keys(u).length > 0, 'must change at least one setting');
export type UpdateQueueInput = z.output<typeof UpdateQueueSchema>;

/** POST /review/queues/:name/items: records pushed by a caller (a model outside OpenExpert, a user report). */
export const PushItemsSchema = z.object({
  items: z.array(z.object({
    /** Your id for the record: pushing it again does not add it twice (default: a new id). */
    id: z.string().min(1).max(512).optional(),
    fields: z.record(z.string().max(256), z.unknown()),
    predicted: z.string().max(512).optional(),
    confidence: z.number().min(0).max(1).optional(),
    time: z.number().int().nonnegative().optional(),
  }).strict()).min(1).max(1000),
}).strict();
export type PushItemsInput = z.output<typeof PushItemsSchema>;

export const LabelSchema = z.object({ label: Label, comment: z.string().max(4000).optional() }).strict();

export const PullSchema = z.object({ limit: z.number().int().min(1).max(10_000).default(1000) }).strict();

export const ExportSchema = z.object({
  dataset: z.string().min(1).max(256),
  /** Items need at least this many labels to be exported. */
  minLabels: z.number().int().min(1).max(20).default(1),
}).strict();

export const ITEM_STATUSES = ['todo', 'labelled', 'all'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** What the queue reads from other modules, as the caller (their own checks apply). */
export interface ReviewSources {
  /** A deployment's model, or not-found/refused as serving answers. */
  deployment(actor: Actor, name: string): Promise<{ modelName: string }>;
  /** The deployments serving a registered model (the caller may read). */
  deploymentsOf(actor: Actor, model: string): Promise<string[]>;
  registeredModel(actor: Actor, name: string): Promise<void>;
  /** Newest first, at most `limit`, from `since` on. */
  predictions(actor: Actor, deployment: string, opts: { limit: number; since: number }): Promise<PredictionRecord[]>;
  /** Traces of a project from `since` on, newest first, with their root span's input and output. */
  traces(actor: Actor, project: string, opts: { limit: number; since: number }): Promise<TraceForReview[]>;
}

export interface TraceForReview {
  readonly traceId: string;
  readonly name: string;
  readonly startTime: number;
  readonly status: string;
  readonly models: readonly string[];
  readonly promptName?: string;
  readonly promptVersion?: string;
  readonly userId?: string;
  readonly cost: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly input?: unknown;
  readonly output?: unknown;
}

export interface ReviewExports {
  addVersion(actor: Actor, input: { name: string; files: { path: string; content: Uint8Array }[]; project: string }): Promise<{ id: string; name: string; version: number }>;
  /** Platform lineage edges (the queue checked the caller). */
  lineage(edges: readonly { from: { kind: string; id: string }; to: { kind: string; id: string }; relation: string }[]): Promise<void>;
}

export interface ReviewDeps {
  readonly store: ReviewStore;
  readonly access: Access;
  readonly clock: Clock;
  readonly sources: ReviewSources;
  readonly exports: ReviewExports;
}

export interface ItemPage {
  readonly items: ReviewItem[];
  readonly nextOffset?: number;
}

export interface ExportResult {
  readonly dataset: { readonly id: string; readonly name: string; readonly version: number };
  readonly rows: number;
  /** Items left out: no label yet, fewer than `minLabels`, or a tie between labels. */
  readonly skipped: { readonly unlabelled: number; readonly tooFewLabels: number; readonly ties: number };
}

const resource = (name: string): ObjectResource => ({ kind: 'review_queue', id: name });

/**
 * Review queues. A queue is an object with its own grants (`review_queue`): READ shows it, its items and the
 * agreement; USE labels items (reviewers); EDIT pulls and pushes items and exports them; MANAGE deletes it and grants.
 */
export class ReviewService {
  constructor(private readonly deps: ReviewDeps) {}

  async create(actor: Actor, input: CreateQueueInput): Promise<ReviewQueue> {
    const project = input.project === undefined ? DEFAULT_PROJECT : validateProjectName(input.project);
    await this.deps.access.require(actor, 'EDIT', { kind: 'server', project });
    const { sources } = this.deps;
    let target: string | undefined;
    switch (input.scope) {
      case 'deployment':
        if (input.target === undefined) throw invalid("'target' names the deployment of a deployment queue");
        await sources.deployment(actor, input.target);
        target = input.target;
        break;
      case 'model':
        if (input.target === undefined) throw invalid("'target' names the registered model of a model queue");
        await sources.registeredModel(actor, input.target);
        target = input.target;
        break;
      case 'llm':
        target = input.target === undefined ? project : validateProjectName(input.target, 'target');
        await this.deps.access.require(actor, 'READ', { kind: 'server', project: target });
        break;
      case 'project':
        if (input.target !== undefined) throw invalid("'target' is not used by a project queue (items are pushed)");
    }
    const spec = checkedSpec(input.scope, {
      labels: input.labels, reviewers: input.reviewers, overlap: input.overlap, reviewersPerItem: input.reviewersPerItem,
      ...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
      ...(input.sampleRate !== undefined ? { sampleRate: input.sampleRate } : {}),
      ...(input.lowConfidence ? { lowConfidence: input.lowConfidence } : {}),
      ...(input.rule !== undefined ? { rule: input.rule } : {}),
    });
    const now = this.deps.clock.now();
    const queue: ReviewQueue = {
      name: input.name, project, scope: input.scope, ...(target !== undefined ? { target } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}), spec, cursor: 0, createdBy: actor.userId, createdAt: now,
    };
    await this.deps.store.createQueue(queue);
    await this.deps.access.created(actor, resource(queue.name), project);
    return queue;
  }

  async list(actor: Actor, project?: string): Promise<ReviewQueue[]> {
    const p = project === undefined ? undefined : validateProjectName(project);
    await this.deps.access.require(actor, 'READ', { kind: 'server', ...(p !== undefined ? { project: p } : {}) });
    return this.deps.access.readable(actor, 'review_queue', await this.deps.store.listQueues(), (q) => q.name, p);
  }

  async get(actor: Actor, name: string): Promise<{ queue: ReviewQueue; stats: QueueStats }> {
    const queue = await this.queue(actor, 'READ', name);
    return { queue, stats: statsOf(queue, await this.deps.store.items(name)) };
  }

  /**
   * Changes a queue's settings (EDIT). Its labels may change only while no item has a label: labels already given
   * would no longer be among the queue's, or would be counted beside ones they were never weighed against.
   */
  async update(actor: Actor, name: string, input: UpdateQueueInput): Promise<ReviewQueue> {
    const queue = await this.queue(actor, 'EDIT', name);
    const old = queue.spec;
    const next: Record<string, unknown> = { ...old };
    for (const key of ['instructions', 'sampleRate', 'lowConfidence', 'rule', 'labels', 'reviewers', 'overlap', 'reviewersPerItem'] as const) {
      const v = input[key];
      if (v === null) delete next[key];
      else if (v !== undefined) next[key] = v;
    }
    const spec = checkedSpec(queue.scope, next as unknown as QueueSpec);
    const labelsChanged = spec.labels.length !== old.labels.length || spec.labels.some((l, i) => l !== old.labels[i]);
    const description = input.description === undefined ? queue.description ?? null : input.description;
    const updated = await this.deps.store.updateQueue(name, { description, spec }, { unlabelledOnly: labelsChanged });
    if (updated === 'labelled') {
      throw new DomainError('INVALID_STATE', `Invalid value for 'labels': queue '${name}' already has labelled items, so its labels (${old.labels.join(', ')}) can no longer change; create a new queue for other labels`);
    }
    if (updated === 'missing') throw notFound(`Review queue '${name}'`);
    const { description: _old, ...rest } = queue;
    return { ...rest, ...(description !== null ? { description } : {}), spec };
  }

  async delete(actor: Actor, name: string): Promise<void> {
    await this.queue(actor, 'MANAGE', name);
    await this.deps.store.deleteQueue(name);
  }

  /** Reads the queue's source from where the last pull stopped and adds what its triggers take. */
  async pull(actor: Actor, name: string, opts: { limit?: number } = {}): Promise<{ scanned: number; added: number; reasons: Partial<Record<ItemReason, number>> }> {
    const queue = await this.queue(actor, 'EDIT', name);
    const limit = opts.limit ?? 1000;
    const rule = queue.spec.rule !== undefined ? compileRule(queue.spec.rule) : undefined;
    const now = this.deps.clock.now();
    let candidates: NewReviewItem[] = [];
    let newest = queue.cursor;
    if (queue.scope === 'deployment' || queue.scope === 'model') {
      const deployments = queue.scope === 'deployment' ? [queue.target!] : await this.deps.sources.deploymentsOf(actor, queue.target!);
      for (const d of deployments) {
        const records = await this.deps.sources.predictions(actor, d, { limit, since: queue.cursor });
        for (const r of records) newest = Math.max(newest, r.time);
        candidates.push(...predictionItems(records, queue, now));
      }
    } else if (queue.scope === 'llm') {
      const traces = await this.deps.sources.traces(actor, queue.target!, { limit, since: queue.cursor });
      for (const t of traces) {
        newest = Math.max(newest, Math.floor(t.startTime));
        const { fields, predicted } = traceFields(t);
        candidates.push({
          id: newHexId(), queue: queue.name, source: { kind: 'trace', id: t.traceId }, reason: 'all', fields, ...(predicted !== undefined ? { predicted } : {}),
          assigned: [], time: Math.floor(t.startTime), createdAt: now,
        });
      }
    } else {
      throw invalid(`Queue '${name}' collects pushed items only (scope project): push them with POST /api/v1/review/queues/${name}/items`);
    }
    const scanned = candidates.length;
    candidates = candidates.flatMap((c) => {
      const reason = triggered(queue, c, rule);
      return reason ? [{ ...c, reason, assigned: assign(queue, c.source.id) }] : [];
    });
    const added = await this.deps.store.addItems(candidates);
    if (newest > queue.cursor) await this.deps.store.setCursor(name, newest);
    const reasons: Partial<Record<ItemReason, number>> = {};
    for (const a of added) reasons[a.reason] = (reasons[a.reason] ?? 0) + 1;
    return { scanned, added: added.length, reasons };
  }

  /**
   * Pulls every queue fed by predictions or traces, each as its creator (`actorFor`; a queue whose creator is gone,
   * or may no longer read its source, is skipped and reported). Safe with several servers pulling at once: an item
   * is added once per source (the queue's unique key), and the pull position only moves forward.
   */
  async pullAll(actorFor: (username: string) => Promise<Actor | undefined>): Promise<{ queue: string; added?: number; error?: string }[]> {
    const out: { queue: string; added?: number; error?: string }[] = [];
    for (const q of await this.deps.store.listQueues()) {
      if (q.scope === 'project') continue;
      try {
        const actor = await actorFor(q.createdBy);
        if (!actor) throw new Error(`its creator '${q.createdBy}' no longer exists`);
        out.push({ queue: q.name, added: (await this.pull(actor, q.name)).added });
      } catch (err) {
        out.push({ queue: q.name, error: (err as Error).message });
      }
    }
    return out;
  }

  async push(actor: Actor, name: string, input: PushItemsInput): Promise<{ added: number; items: ReviewItem[] }> {
    const queue = await this.queue(actor, 'EDIT', name);
    const now = this.deps.clock.now();
    const items: NewReviewItem[] = input.items.map((i) => {
      const sourceId = i.id ?? newHexId();
      return {
        id: newHexId(), queue: name, source: { kind: 'api', id: sourceId }, reason: 'api', fields: i.fields,
        ...(i.predicted !== undefined ? { predicted: i.predicted } : {}), ...(i.confidence !== undefined ? { confidence: i.confidence } : {}),
        assigned: assign(queue, sourceId), time: i.time ?? now, createdAt: now,
      };
    });
    const added = await this.deps.store.addItems(items);
    return { added: added.length, items: added.map((a) => ({ ...a, labels: [] })) };
  }

  /**
   * A queue's items, oldest first. `todo` is what the caller still has to label (theirs when the queue assigns items,
   * else every item they have not labelled); `labelled` those with at least one label.
   */
  async items(actor: Actor, name: string, q: { status?: ItemStatus; reviewer?: string; offset?: number; limit?: number }): Promise<ItemPage> {
    const queue = await this.queue(actor, 'READ', name);
    const reviewer = q.reviewer ?? actor.userId;
    const status = q.status ?? 'all';
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 100;
    const filter: ItemFilter = status === 'todo' ? { kind: 'todo', reviewer, assignedOnly: queue.spec.reviewers.length > 0 } : { kind: status };
    const page = await this.deps.store.itemPage(name, { filter, offset, limit });
    return { items: page.items, ...(page.more ? { nextOffset: offset + limit } : {}) };
  }

  async item(actor: Actor, name: string, id: string): Promise<ReviewItem> {
    await this.queue(actor, 'READ', name);
    return this.find(name, id);
  }

  /** The caller's label of an item (a second call replaces it). */
  async label(actor: Actor, name: string, id: string, input: z.output<typeof LabelSchema>): Promise<ReviewItem> {
    const queue = await this.queue(actor, 'USE', name);
    if (!queue.spec.labels.includes(input.label)) throw invalid(`Invalid value for 'label': '${input.label}' is not one of queue '${name}''s labels (${queue.spec.labels.join(', ')})`);
    await this.find(name, id);
    await this.deps.store.putLabel(name, id, { reviewer: actor.userId, label: input.label, ...(input.comment ? { comment: input.comment } : {}), at: this.deps.clock.now() });
    return this.find(name, id);
  }

  async agreement(actor: Actor, name: string): Promise<Agreement> {
    const queue = await this.queue(actor, 'READ', name);
    return agreementOf(queue.spec.labels, await this.deps.store.items(name));
  }

  /**
   * Labelled items as a new version of a dataset (`labels.jsonl`): the item's fields, the model's answer and the
   * reviewers' majority label; lineage from the queue (and the deployments and model versions it read) to the version.
   */
  async export(actor: Actor, name: string, input: z.output<typeof ExportSchema>): Promise<ExportResult> {
    const queue = await this.queue(actor, 'EDIT', name);
    const items = await this.deps.store.items(name);
    const skipped = { unlabelled: 0, tooFewLabels: 0, ties: 0 };
    const rows: Record<string, unknown>[] = [];
    for (const item of items) {
      if (item.labels.length === 0) { skipped.unlabelled++; continue; }
      if (item.labels.length < input.minLabels) { skipped.tooFewLabels++; continue; }
      const majority = majorityOf(item.labels.map((l) => l.label));
      if (majority === undefined) { skipped.ties++; continue; }
      rows.push({
        ...item.fields,
        review_item: item.id, review_source: item.source.kind, review_source_id: item.source.id, review_reason: item.reason,
        ...(item.source.deployment !== undefined ? { review_deployment: item.source.deployment } : {}),
        ...(item.source.model !== undefined ? { review_model: item.source.model, review_model_version: item.source.version } : {}),
        review_predicted: item.predicted ?? null, review_confidence: item.confidence ?? null,
        review_label: majority.label, review_votes: item.labels.length, review_agreement: majority.share,
      });
    }
    if (rows.length === 0) throw invalid(`Queue '${name}' has no item with ${input.minLabels > 1 ? `${input.minLabels} labels` : 'a label'} and a majority to export`);
    const content = new TextEncoder().encode(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const version = await this.deps.exports.addVersion(actor, { name: input.dataset, files: [{ path: 'labels.jsonl', content }], project: queue.project });
    const node = { kind: 'review_queue', id: name };
    const exported = items.filter((i) => rows.some((r) => r.review_item === i.id));
    const sources = new Map<string, { kind: string; id: string }>();
    for (const i of exported) {
      if (i.source.deployment !== undefined) sources.set(`d:${i.source.deployment}`, { kind: 'deployment', id: i.source.deployment });
      if (i.source.model !== undefined && i.source.version !== undefined) sources.set(`m:${i.source.model}/${i.source.version}`, { kind: 'model_version', id: `${i.source.model}/${i.source.version}` });
    }
    await this.deps.exports.lineage([
      ...[...sources.values()].map((from) => ({ from, to: node, relation: 'reviewed_in' })),
      { from: node, to: { kind: 'dataset_version', id: version.id }, relation: 'produced' },
    ]);
    return { dataset: { id: version.id, name: version.name, version: version.version }, rows: rows.length, skipped };
  }

  private async queue(actor: Actor, permission: 'READ' | 'USE' | 'EDIT' | 'MANAGE', name: string): Promise<ReviewQueue> {
    await this.deps.access.require(actor, permission, resource(name));
    const queue = await this.deps.store.getQueue(name);
    if (!queue) throw notFound(`Review queue '${name}'`);
    return queue;
  }

  private async find(name: string, id: string): Promise<ReviewItem> {
    const item = await this.deps.store.item(name, id);
    if (!item) throw notFound(`Item '${id}' of review queue '${name}'`);
    return item;
  }
}

/** A queue's settings, checked as a whole (on create and on every change): the rule parses, the triggers fit the scope. */
function checkedSpec(scope: ReviewQueue['scope'], spec: QueueSpec): QueueSpec {
  if (spec.rule !== undefined) compileRule(spec.rule);
  if (spec.lowConfidence && scope !== 'deployment' && scope !== 'model') throw invalid("'lowConfidence' applies to queues of predictions (scope deployment or model)");
  if (spec.overlap > 0 && spec.reviewers.length < 2) throw invalid("'overlap' needs at least two 'reviewers' to share items");
  return { ...spec, reviewersPerItem: Math.min(spec.reviewersPerItem, Math.max(2, spec.reviewers.length)) };
}

/** The first trigger that takes a candidate: rule, then low confidence, then sampling; every candidate when the queue has none. */
function triggered(queue: ReviewQueue, c: NewReviewItem, rule: Rule | undefined): ItemReason | undefined {
  const { spec } = queue;
  if (rule === undefined && spec.lowConfidence === undefined && spec.sampleRate === undefined) return 'all';
  if (rule?.(c.fields)) return 'rule';
  if (spec.lowConfidence && c.confidence !== undefined && c.confidence < spec.lowConfidence.threshold) return 'low_confidence';
  if (spec.sampleRate !== undefined && stickyUnit(`${queue.name}/sample`, c.source.id) < spec.sampleRate) return 'sampled';
  return undefined;
}

/**
 * Reviewers for an item, from a stable hash of its source id: one from the pool, and for an `overlap` share of items
 * the next `reviewersPerItem − 1` round the pool as well, so those items are labelled independently several times.
 */
export function assign(queue: Pick<ReviewQueue, 'name' | 'spec'>, sourceId: string): string[] {
  const pool = queue.spec.reviewers;
  if (pool.length === 0) return [];
  const first = Math.floor(stickyUnit(`${queue.name}/assign`, sourceId) * pool.length);
  const shared = stickyUnit(`${queue.name}/overlap`, sourceId) < queue.spec.overlap;
  const count = shared ? Math.min(queue.spec.reviewersPerItem, pool.length) : 1;
  return Array.from({ length: count }, (_, k) => pool[(first + k) % pool.length]!);
}

/** The label more than any other got, with its share of the votes; undefined on a tie. */
function majorityOf(labels: readonly string[]): { label: string; share: number } | undefined {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  if (sorted.length > 1 && sorted[0]![1] === sorted[1]![1]) return undefined;
  return { label: sorted[0]![0], share: sorted[0]![1] / labels.length };
}

export function statsOf(queue: ReviewQueue, items: readonly ReviewItem[]): QueueStats {
  const labelCounts: Record<string, number> = Object.fromEntries(queue.spec.labels.map((l) => [l, 0]));
  const reviewers = new Map<string, { assigned: number; labelled: number }>(queue.spec.reviewers.map((r) => [r, { assigned: 0, labelled: 0 }]));
  const of = (r: string) => reviewers.get(r) ?? reviewers.set(r, { assigned: 0, labelled: 0 }).get(r)!;
  let labelled = 0;
  let complete = 0;
  for (const i of items) {
    for (const r of i.assigned) of(r).assigned++;
    for (const l of i.labels) {
      of(l.reviewer).labelled++;
      labelCounts[l.label] = (labelCounts[l.label] ?? 0) + 1;
    }
    if (i.labels.length > 0) labelled++;
    if (i.labels.length > 0 && i.labels.length >= i.assigned.length) complete++;
  }
  return {
    items: items.length, labelled, complete, labelCounts,
    reviewers: [...reviewers.entries()].map(([reviewer, s]) => ({ reviewer, ...s })).sort((a, b) => a.reviewer.localeCompare(b.reviewer)),
  };
}

/** Fleiss' kappa over the items two or more reviewers labelled, and Cohen's kappa per pair of reviewers on the items they share. */
export function agreementOf(labels: readonly string[], items: readonly ReviewItem[]): Agreement {
  const shared = items.filter((i) => i.labels.length >= 2);
  const categories = [...new Set([...labels, ...shared.flatMap((i) => i.labels.map((l) => l.label))])];
  const counts = shared.map((i) => categories.map((c) => i.labels.filter((l) => l.label === c).length));
  const fleiss = fleissKappa(counts);
  const reviewers = [...new Set(shared.flatMap((i) => i.labels.map((l) => l.reviewer)))].sort();
  const pairs: PairAgreement[] = [];
  for (let a = 0; a < reviewers.length; a++) {
    for (let b = a + 1; b < reviewers.length; b++) {
      const ra: string[] = [];
      const rb: string[] = [];
      for (const i of shared) {
        const la = i.labels.find((l) => l.reviewer === reviewers[a]);
        const lb = i.labels.find((l) => l.reviewer === reviewers[b]);
        if (la && lb) {
          ra.push(la.label);
          rb.push(lb.label);
        }
      }
      if (ra.length === 0) continue;
      const c = cohensKappa(ra, rb);
      pairs.push({ reviewers: [reviewers[a]!, reviewers[b]!], items: c.items, observed: c.observed, kappa: c.kappa });
    }
  }
  return {
    items: fleiss.items, reviewers, observed: fleiss.observed,
    fleiss: { kappa: fleiss.kappa, expected: fleiss.expected, interpretation: kappaWords(fleiss.kappa) }, pairs,
  };
}
