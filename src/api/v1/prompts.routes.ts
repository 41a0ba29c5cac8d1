import { z } from 'zod';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';
import { PromptDetailOut, PromptDiffOut, PromptListOut, PromptVersionOut, PushResultOut, RenderOut } from './prompts.replies.js';
import { PromotionRequestOut, TransitionRecordOut } from './registry.replies.js';
import { recordOut, requestOut } from './registry.routes.js';
import { Empty, items } from './replies.js';

/**
 * The prompt registry: templates pushed from Git (or registered with MLflow's client: they are the same objects),
 * versions, labels moved as promotions under the prompt's policy, diffs and rendering. A version is named by its
 * number or a label (`production`; `latest` is the newest).
 */
const tags = ['prompts'];
const NameParam = z.object({ name: z.string().min(1).max(256) });
const RefParam = NameParam.extend({ ref: z.string().min(1).max(256) });
const LabelParam = NameParam.extend({ label: z.string().min(1).max(256) });
const ListQuery = z.object({ name: z.string().min(1).max(256).optional().describe("a name pattern, SQL LIKE ('%' matches anything), case-insensitive"), maxResults: QueryInt.optional(), pageToken: z.string().optional() });
const Message = z.object({ role: z.string().min(1).max(64), content: z.string().max(100_000) }).strict();
const Template = z.union([z.string().max(100_000), z.array(Message).min(1).max(1000)]);
const Push = z.object({
  name: z.string().min(1).max(256), template: Template, description: z.string().max(5000).optional(), commitMessage: z.string().max(5000).optional(),
  variables: z.array(z.string().min(1).max(250)).max(1000).optional().describe('when given, the template must use exactly these variables'),
  tags: z.record(z.string().min(1).max(250), z.string().max(5000)).optional(), responseFormat: z.unknown().optional(), modelConfig: z.unknown().optional(),
  file: z.string().max(1000).optional(), commit: z.string().max(100).optional(),
}).strict();
const DiffQuery = z.object({ from: z.string().min(1).max(256), to: z.string().min(1).max(256) });
const SetLabel = z.object({ version: z.union([z.number().int().positive(), z.string().min(1).max(256)]), reason: z.string().max(5000).optional() }).strict();
const Render = z.object({ variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}) }).strict();

export function promptRoutesV1(s: Services): Route[] {
  const p = s.prompts;
  return [
    {
      method: 'GET', path: '/prompts',
      schema: { summary: 'Prompts with their labels and newest version (MLflow-registered prompts included)', tags, querystring: ListQuery, response: { 200: PromptListOut } },
      handler: ({ actor, query }) => {
        const q = parse(ListQuery, query ?? {});
        return p.list(actor, { ...(q.name ? { nameLike: q.name } : {}), ...(q.maxResults !== undefined ? { maxResults: q.maxResults } : {}), ...(q.pageToken ? { pageToken: q.pageToken } : {}) });
      },
    },
    {
      method: 'POST', path: '/prompts',
      schema: {
        summary: 'Push a template: a new version when its content differs from the newest version (201), the newest version when it does not (200); variables are checked',
        tags, body: Push, response: { 200: PushResultOut, 201: PushResultOut },
      },
      handler: async ({ actor, body, reply }) => {
        const result = await p.push(actor, parse(Push, body));
        if (result.action !== 'unchanged') void reply.status(201);
        return result;
      },
    },
    {
      method: 'GET', path: '/prompts/:name',
      schema: { summary: 'A prompt with its versions (newest first) and labels', tags, params: NameParam, response: { 200: PromptDetailOut } },
      handler: ({ actor, params }) => p.get(actor, parse(NameParam, params).name),
    },
    {
      method: 'GET', path: '/prompts/:name/versions/:ref',
      schema: { summary: 'A prompt version by number or label', tags, params: RefParam, response: { 200: PromptVersionOut } },
      handler: ({ actor, params }) => {
        const { name, ref } = parse(RefParam, params);
        return p.getVersion(actor, name, ref);
      },
    },
    {
      method: 'POST', path: '/prompts/:name/versions/:ref/render',
      schema: { summary: 'The version\'s template with the variables filled in (every variable needs a value)', tags, params: RefParam, body: Render, response: { 200: RenderOut } },
      handler: ({ actor, params, body }) => {
        const { name, ref } = parse(RefParam, params);
        return p.render(actor, name, ref, parse(Render, body ?? {}).variables);
      },
    },
    {
      method: 'GET', path: '/prompts/:name/diff',
      schema: { summary: 'The line diff between two versions (numbers or labels), with variables added and removed', tags, params: NameParam, querystring: DiffQuery, response: { 200: PromptDiffOut } },
      handler: ({ actor, params, query }) => {
        const q = parse(DiffQuery, query);
        return p.diff(actor, parse(NameParam, params).name, q.from, q.to);
      },
    },
    {
      method: 'PUT', path: '/prompts/:name/labels/:label',
      schema: {
        summary: 'Move a label to a version: a promotion request under the prompt\'s policy, completed at once when its checks pass (201, state completed), pending otherwise',
        tags, params: LabelParam, body: SetLabel, response: { 201: PromotionRequestOut },
      },
      handler: async ({ actor, params, body, reply }) => {
        const { name, label } = parse(LabelParam, params);
        const b = parse(SetLabel, body);
        const request = await p.setLabel(actor, name, label, b.version, b.reason);
        void reply.status(201);
        return requestOut(request);
      },
    },
    {
      method: 'DELETE', path: '/prompts/:name/labels/:label',
      schema: { summary: 'Remove a label', tags, params: LabelParam, response: { 200: Empty } },
      handler: async ({ actor, params }) => {
        const { name, label } = parse(LabelParam, params);
        await p.deleteLabel(actor, name, label);
        return {};
      },
    },
    {
      method: 'GET', path: '/prompts/:name/history',
      schema: { summary: 'Label moves with who, when, why and the checks then', tags, params: NameParam, response: { 200: items(TransitionRecordOut) } },
      handler: async ({ actor, params }) => ({ items: (await p.history(actor, parse(NameParam, params).name)).map(recordOut) }),
    },
  ];
}
