import { z } from 'zod';
import { decodePageToken, encodePageToken } from '../../core/paging.js';
import { CreateQueueSchema, ExportSchema, ITEM_STATUSES, LabelSchema, PullSchema, PushItemsSchema, UpdateQueueSchema } from '../../domain/review/review.service.js';
import { ITEM_REASONS } from '../../domain/review/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';
import { AgreementOut, ExportOut, QueueStatsOut, ReviewItemOut, ReviewQueueOut } from './review.replies.js';
import { Empty, items, page } from './replies.js';

/** Human review queues: READ to see, USE to label, EDIT to pull, push and export, MANAGE to delete (grants on `review_queue`). */
const tags = ['review'];
const Name = z.object({ name: z.string().min(1).max(256) });
const Item = z.object({ name: z.string().min(1).max(256), id: z.string().regex(/^[0-9a-f]{32}$/, 'must be an item id') });
const ListQueues = z.object({ project: z.string().optional() }).strict();
const ListItems = z.object({
  status: z.enum(ITEM_STATUSES).optional(),
  reviewer: z.string().min(1).max(256).optional(),
  maxResults: QueryInt.pipe(z.number().int().min(1).max(1000)).optional(),
  pageToken: z.string().optional(),
}).strict();
const QueueDetail = z.object({ queue: ReviewQueueOut, stats: QueueStatsOut });

export function reviewRoutesV1(s: Services): Route[] {
  const r = s.review;
  return [
    {
      method: 'POST', path: '/review/queues',
      schema: { summary: 'Create a review queue for a deployment, a model, a project\'s LLM traces, or pushed items', tags, body: CreateQueueSchema, response: { 201: ReviewQueueOut } },
      handler: async ({ actor, body, reply }) => {
        const queue = await r.create(actor, parse(CreateQueueSchema, body));
        void reply.status(201);
        return queue;
      },
    },
    {
      method: 'GET', path: '/review/queues',
      schema: { summary: 'The review queues the caller may read', tags, querystring: ListQueues, response: { 200: items(ReviewQueueOut) } },
      handler: async ({ actor, query }) => ({ items: await r.list(actor, parse(ListQueues, query).project) }),
    },
    {
      method: 'GET', path: '/review/queues/:name',
      schema: { summary: 'A review queue with its progress: items, labelled, complete, labels given, per reviewer', tags, params: Name, response: { 200: QueueDetail } },
      handler: async ({ actor, params }) => r.get(actor, parse(Name, params).name),
    },
    {
      method: 'PATCH', path: '/review/queues/:name',
      schema: {
        summary: "Change a queue's description, instructions, triggers (rule, low confidence, sampling), reviewers and overlap, or its labels while nothing is labelled; null removes a setting",
        tags, params: Name, body: UpdateQueueSchema, response: { 200: ReviewQueueOut },
      },
      handler: async ({ actor, params, body }) => r.update(actor, parse(Name, params).name, parse(UpdateQueueSchema, body)),
    },
    {
      method: 'DELETE', path: '/review/queues/:name',
      schema: { summary: 'Delete a review queue with its items and labels', tags, params: Name, response: { 200: Empty } },
      handler: async ({ actor, params }) => {
        await r.delete(actor, parse(Name, params).name);
        return {};
      },
    },
    {
      method: 'POST', path: '/review/queues/:name/pull',
      schema: {
        summary: 'Read the queue\'s predictions or traces since the last pull and add what its triggers take (rule, low confidence, sampling)', tags, params: Name, body: PullSchema,
        response: { 200: z.object({ scanned: z.number().int(), added: z.number().int(), reasons: z.partialRecord(z.enum(ITEM_REASONS), z.number().int()) }) },
      },
      handler: async ({ actor, params, body }) => r.pull(actor, parse(Name, params).name, parse(PullSchema, body)),
    },
    {
      method: 'POST', path: '/review/queues/:name/items',
      schema: { summary: 'Push items for review (a record pushed twice with the same id is added once)', tags, params: Name, body: PushItemsSchema, response: { 200: z.object({ added: z.number().int(), items: z.array(ReviewItemOut) }) } },
      handler: async ({ actor, params, body }) => r.push(actor, parse(Name, params).name, parse(PushItemsSchema, body)),
    },
    {
      method: 'GET', path: '/review/queues/:name/items',
      schema: { summary: "A queue's items, oldest first: all, labelled, or what a reviewer (the caller by default) still has to label", tags, params: Name, querystring: ListItems, response: { 200: page(ReviewItemOut) } },
      handler: async ({ actor, params, query }) => {
        const q = parse(ListItems, query);
        const result = await r.items(actor, parse(Name, params).name, {
          ...(q.status !== undefined ? { status: q.status } : {}), ...(q.reviewer !== undefined ? { reviewer: q.reviewer } : {}),
          ...(q.maxResults !== undefined ? { limit: q.maxResults } : {}), offset: decodePageToken(q.pageToken, 'pageToken'),
        });
        return { items: result.items, ...(result.nextOffset !== undefined ? { nextPageToken: encodePageToken(result.nextOffset) } : {}) };
      },
    },
    {
      method: 'GET', path: '/review/queues/:name/items/:id',
      schema: { summary: 'One item with its labels', tags, params: Item, response: { 200: ReviewItemOut } },
      handler: async ({ actor, params }) => {
        const p = parse(Item, params);
        return r.item(actor, p.name, p.id);
      },
    },
    {
      method: 'PUT', path: '/review/queues/:name/items/:id/label',
      schema: { summary: "The caller's label of an item, from the queue's labels, with an optional comment (replaces their earlier one)", tags, params: Item, body: LabelSchema, response: { 200: ReviewItemOut } },
      handler: async ({ actor, params, body }) => {
        const p = parse(Item, params);
        return r.label(actor, p.name, p.id, parse(LabelSchema, body));
      },
    },
    {
      method: 'GET', path: '/review/queues/:name/agreement',
      schema: { summary: "Agreement between reviewers on the items several labelled: Fleiss' kappa, and Cohen's kappa per pair", tags, params: Name, response: { 200: AgreementOut } },
      handler: async ({ actor, params }) => r.agreement(actor, parse(Name, params).name),
    },
    {
      method: 'POST', path: '/review/queues/:name/export',
      schema: { summary: 'Labelled items (majority label) as a new dataset version, with lineage from the queue', tags, params: Name, body: ExportSchema, response: { 201: ExportOut } },
      handler: async ({ actor, params, body, reply }) => {
        const result = await r.export(actor, parse(Name, params).name, parse(ExportSchema, body));
        void reply.status(201);
        return result;
      },
    },
  ];
}
