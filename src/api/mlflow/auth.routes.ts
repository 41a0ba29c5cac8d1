import { z } from 'zod';
import type { Actor } from '../../core/actor.js';
import { PERMISSION_LEVELS, type ObjectKind } from '../../domain/access/access.js';
import type { Grant, User } from '../../domain/governance/types.js';
import type { Governance } from '../governance-auth.js';
import { parse } from '../parse.js';
import type { Route } from '../surface.js';

/**
 * MLflow's basic-auth app endpoints (mlflow/server/auth/routes.py), so `mlflow.server.get_app_client("basic-auth")`
 * manages users and experiment/registered-model permissions here as it does against MLflow. MLflow's numeric user
 * ids are our usernames. Workspace roles beyond admin are set through the native API.
 */
const Username = z.object({ username: z.string().min(1) });
const Credentials = z.object({ username: z.string().min(1), password: z.string().min(1) });
const Password = Credentials.extend({ current_password: z.string().optional() });
const Admin = z.object({ username: z.string().min(1), is_admin: z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((v) => v.toLowerCase() === 'true')]) });
const Level = z.enum(PERMISSION_LEVELS);
const ExperimentRef = z.object({ experiment_id: z.string().min(1), username: z.string().min(1) });
const ExperimentGrant = ExperimentRef.extend({ permission: Level });
const ModelRef = z.object({ name: z.string().min(1), username: z.string().min(1) });
const ModelGrant = ModelRef.extend({ permission: Level });

export function mlflowAuthRoutes(g: Governance): Route[] {
  const s = g.service;
  const userOut = async (actor: Actor, u: User) => {
    const grants = await s.grantsOf(actor, 'user', u.username);
    const of = (kind: ObjectKind) => grants.filter((x) => x.kind === kind);
    return {
      id: u.username, username: u.username, is_admin: u.role === 'admin',
      experiment_permissions: of('experiment').map(experimentOut),
      registered_model_permissions: of('registered_model').map(modelOut),
      scorer_permissions: [],
    };
  };
  const experimentOut = (x: Grant) => ({ experiment_id: x.id, user_id: x.principal, permission: x.level });
  const modelOut = (x: Grant) => ({ name: x.id, user_id: x.principal, permission: x.level });
  const asUser = (kind: ObjectKind, id: string, username: string) => ({ kind, id, principalType: 'user' as const, principal: username });

  return [
    {
      method: 'POST', path: '/users/create',
      handler: async ({ actor, body }) => {
        const input = parse(Credentials, body);
        return { user: await userOut(actor, await s.createUser(actor, { ...input, role: 'member' })) };
      },
    },
    { method: 'GET', path: '/users/get', handler: async ({ actor, query }) => ({ user: await userOut(actor, await s.getUser(actor, parse(Username, query).username)) }) },
    { method: 'GET', path: '/users/current', handler: async ({ actor }) => ({ user: await userOut(actor, await s.getUser(actor, actor.userId)) }) },
    {
      method: 'GET', path: '/users/list',
      handler: async ({ actor }) => ({ users: (await s.listUsers(actor)).map((u) => ({ id: u.username, username: u.username, is_admin: u.role === 'admin' })) }),
    },
    {
      method: 'PATCH', path: '/users/update-password',
      handler: async ({ actor, body }) => {
        const input = parse(Password, body);
        await s.updateUser(actor, input.username, { password: input.password, currentPassword: input.current_password });
        return {};
      },
    },
    {
      method: 'PATCH', path: '/users/update-admin',
      handler: async ({ actor, body }) => {
        const input = parse(Admin, body);
        const current = await s.getUser(actor, input.username);
        // Taking admin away leaves a member; granting it over another role replaces that role.
        const role = input.is_admin ? 'admin' : current.role === 'admin' ? 'member' : current.role;
        await s.updateUser(actor, input.username, { role });
        return {};
      },
    },
    {
      method: 'DELETE', path: '/users/delete',
      handler: async ({ actor, body }) => {
        await s.deleteUser(actor, parse(Username, body).username);
        return {};
      },
    },
    {
      method: 'POST', path: '/experiments/permissions/create',
      handler: async ({ actor, body }) => {
        const i = parse(ExperimentGrant, body);
        return { experiment_permission: experimentOut(await s.setGrant(actor, { ...asUser('experiment', i.experiment_id, i.username), level: i.permission }, 'create')) };
      },
    },
    {
      method: 'GET', path: '/experiments/permissions/get',
      handler: async ({ actor, query }) => {
        const i = parse(ExperimentRef, query);
        return { experiment_permission: experimentOut(await s.getGrant(actor, asUser('experiment', i.experiment_id, i.username))) };
      },
    },
    {
      method: 'PATCH', path: '/experiments/permissions/update',
      handler: async ({ actor, body }) => {
        const i = parse(ExperimentGrant, body);
        await s.setGrant(actor, { ...asUser('experiment', i.experiment_id, i.username), level: i.permission }, 'update');
        return {};
      },
    },
    {
      method: 'DELETE', path: '/experiments/permissions/delete',
      handler: async ({ actor, body }) => {
        const i = parse(ExperimentRef, body);
        await s.deleteGrant(actor, asUser('experiment', i.experiment_id, i.username));
        return {};
      },
    },
    {
      method: 'POST', path: '/registered-models/permissions/create',
      handler: async ({ actor, body }) => {
        const i = parse(ModelGrant, body);
        return { registered_model_permission: modelOut(await s.setGrant(actor, { ...asUser('registered_model', i.name, i.username), level: i.permission }, 'create')) };
      },
    },
    {
      method: 'GET', path: '/registered-models/permissions/get',
      handler: async ({ actor, query }) => {
        const i = parse(ModelRef, query);
        return { registered_model_permission: modelOut(await s.getGrant(actor, asUser('registered_model', i.name, i.username))) };
      },
    },
    {
      method: 'PATCH', path: '/registered-models/permissions/update',
      handler: async ({ actor, body }) => {
        const i = parse(ModelGrant, body);
        await s.setGrant(actor, { ...asUser('registered_model', i.name, i.username), level: i.permission }, 'update');
        return {};
      },
    },
    {
      method: 'DELETE', path: '/registered-models/permissions/delete',
      handler: async ({ actor, body }) => {
        const i = parse(ModelRef, body);
        await s.deleteGrant(actor, asUser('registered_model', i.name, i.username));
        return {};
      },
    },
  ];
}
