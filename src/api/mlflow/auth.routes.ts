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

/** One object kind's create/get/update/delete of a user's permission, in MLflow's field names (`experiment_id` or `name`). */
interface PermissionSpec {
  readonly path: string;
  readonly kind: ObjectKind;
  readonly idField: 'experiment_id' | 'name';
  readonly key: string;
}

function permissionRoutes(s: Governance['service'], spec: PermissionSpec): Route[] {
  const Id = z.object({ [spec.idField]: z.string().min(1) });
  const grantOf = (input: unknown) => ({ kind: spec.kind, id: String(parse(Id, input)[spec.idField]), principalType: 'user' as const, principal: parse(Username, input).username });
  const levelOf = (input: unknown) => parse(z.object({ permission: Level }), input).permission;
  const out = (x: Grant) => ({ [spec.key]: { [spec.idField]: x.id, user_id: x.principal, permission: x.level } });
  return [
    {
      method: 'POST', path: `${spec.path}/create`,
      handler: async ({ actor, body }) => out(await s.setGrant(actor, { ...grantOf(body), level: levelOf(body) }, 'create')),
    },
    { method: 'GET', path: `${spec.path}/get`, handler: async ({ actor, query }) => out(await s.getGrant(actor, grantOf(query))) },
    {
      method: 'PATCH', path: `${spec.path}/update`,
      handler: async ({ actor, body }) => {
        await s.setGrant(actor, { ...grantOf(body), level: levelOf(body) }, 'update');
        return {};
      },
    },
    {
      method: 'DELETE', path: `${spec.path}/delete`,
      handler: async ({ actor, body }) => {
        await s.deleteGrant(actor, grantOf(body));
        return {};
      },
    },
  ];
}

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
    ...permissionRoutes(s, { path: '/experiments/permissions', kind: 'experiment', idField: 'experiment_id', key: 'experiment_permission' }),
    ...permissionRoutes(s, { path: '/registered-models/permissions', kind: 'registered_model', idField: 'name', key: 'registered_model_permission' }),
  ];
}
