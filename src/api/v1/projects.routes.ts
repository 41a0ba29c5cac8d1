import { z } from 'zod';
import { OBJECT_KINDS } from '../../domain/access/access.js';
import { PROJECT_NAME, PROJECT_ROLES, type Project, type ProjectDetail, type ProjectMember, type ProjectObject } from '../../domain/projects/types.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { described, Empty } from './replies.js';

/** A project's name, as create bodies and list queries take it (`project`); absent: the default project / every project. */
export const ProjectName = z.string().regex(PROJECT_NAME, "must be 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit");
/** The `project` query parameter of the lists of experiments, models, datasets, monitors and deployments. */
export const ProjectQuery = { project: ProjectName.optional().describe('only the objects of this project') };

const NameParam = z.object({ name: ProjectName });
const MemberParams = NameParam.extend({ principalType: z.enum(['user', 'group']), principal: z.string().min(1).max(256) });
const CreateProject = z.object({ name: ProjectName, description: z.string().max(1000).optional() }).strict();
const UpdateProject = z.object({ description: z.string().max(1000) }).strict();
const SetMember = z.object({ role: z.enum(PROJECT_ROLES) }).strict();

const ProjectOut = described<Project>()(z.object({
  name: z.string(), description: z.string(), createdBy: z.string(), createdAt: z.number().describe('milliseconds since the epoch'),
}).meta({ id: 'Project' }));
const MemberOut = described<ProjectMember>()(z.object({
  project: z.string(), principalType: z.enum(['user', 'group']), principal: z.string(), role: z.enum(PROJECT_ROLES),
  grantedBy: z.string(), grantedAt: z.number(),
}).meta({ id: 'ProjectMember' }));
const DetailOut = described<ProjectDetail>()(ProjectOut.extend({ members: z.array(MemberOut) }).meta({ id: 'ProjectDetail' }));
const ObjectOut = described<ProjectObject>()(z.object({ kind: z.enum(OBJECT_KINDS), id: z.string() }).meta({ id: 'ProjectObject' }));
const TAGS = ['projects'];

/** Projects (workspaces): CRUD, members with roles, and the objects placed in each. */
export function projectRoutesV1(s: Services): Route[] {
  const p = s.projects;
  return [
    {
      method: 'POST', path: '/projects',
      schema: { summary: 'Create a project (its creator becomes its admin)', tags: TAGS, body: CreateProject, response: { 201: DetailOut } },
      handler: async ({ actor, body, reply }) => {
        const created = await p.create(actor, parse(CreateProject, body));
        void reply.status(201);
        return created;
      },
    },
    {
      method: 'GET', path: '/projects',
      schema: { summary: 'The projects the caller may see: the default one and those they belong to', tags: TAGS, response: { 200: z.object({ items: z.array(ProjectOut) }) } },
      handler: async ({ actor }) => ({ items: await p.list(actor) }),
    },
    {
      method: 'GET', path: '/projects/:name',
      schema: { summary: 'A project and its members', tags: TAGS, params: NameParam, response: { 200: DetailOut } },
      handler: ({ actor, params }) => p.get(actor, parse(NameParam, params).name),
    },
    {
      method: 'PATCH', path: '/projects/:name',
      schema: { summary: "Change a project's description (project admins)", tags: TAGS, params: NameParam, body: UpdateProject, response: { 200: DetailOut } },
      handler: ({ actor, params, body }) => p.update(actor, parse(NameParam, params).name, parse(UpdateProject, body)),
    },
    {
      method: 'DELETE', path: '/projects/:name',
      schema: { summary: 'Delete an empty project (project admins)', tags: TAGS, params: NameParam, response: { 200: Empty } },
      handler: async ({ actor, params }) => {
        await p.delete(actor, parse(NameParam, params).name);
        return {};
      },
    },
    {
      method: 'GET', path: '/projects/:name/members',
      schema: { summary: "A project's members and their roles", tags: TAGS, params: NameParam, response: { 200: z.object({ items: z.array(MemberOut) }) } },
      handler: async ({ actor, params }) => ({ items: await p.members(actor, parse(NameParam, params).name) }),
    },
    {
      method: 'PUT', path: '/projects/:name/members/:principalType/:principal',
      schema: { summary: 'Add a user or group to a project, or change its role (project admins)', tags: TAGS, params: MemberParams, body: SetMember, response: { 200: MemberOut } },
      handler: async ({ actor, params, body }) => {
        const { name, principalType, principal } = parse(MemberParams, params);
        return p.setMember(actor, name, { principalType, principal, role: parse(SetMember, body).role });
      },
    },
    {
      method: 'DELETE', path: '/projects/:name/members/:principalType/:principal',
      schema: { summary: 'Remove a user or group from a project (project admins)', tags: TAGS, params: MemberParams, response: { 200: Empty } },
      handler: async ({ actor, params }) => {
        const { name, principalType, principal } = parse(MemberParams, params);
        await p.removeMember(actor, name, principalType, principal);
        return {};
      },
    },
    {
      method: 'GET', path: '/projects/:name/objects',
      schema: { summary: 'The experiments, models, datasets, monitors and deployments placed in a project that the caller may read', tags: TAGS, params: NameParam, response: { 200: z.object({ items: z.array(ObjectOut) }) } },
      handler: async ({ actor, params }) => ({ items: await p.objects(actor, parse(NameParam, params).name) }),
    },
  ];
}
