import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { Actor } from '../../core/actor.js';
import { allowAll } from '../../domain/access/access.js';
import { GovernanceAccess } from '../../domain/governance/governance-access.js';
import { userActor } from '../../domain/governance/governance.service.js';
import type { Grant } from '../../domain/governance/types.js';
import { ProjectAccess } from '../../domain/projects/project-access.js';
import { ProjectService } from '../../domain/projects/project.service.js';
import type { DatabaseHandle } from '../db.js';
import { SqlGovernanceStore } from './governance.sql-store.js';
import { SqlProjectStore } from './projects.sql-store.js';

const user = (username: string, role: 'viewer' | 'member' | 'maintainer' | 'admin' = 'member'): Actor => userActor({ username, role });
const grant = (id: string, principalType: Grant['principalType'], principal: string, level: Grant['level']): Grant => ({
  kind: 'experiment', id, principalType, principal, level, grantedBy: 'root', grantedAt: 1,
});
const member = (project: string, principalType: 'user' | 'group', principal: string, role: 'viewer' | 'editor' | 'admin') => ({ project, principalType, principal, role, grantedBy: 'root', grantedAt: 1 });

for (const backend of testBackends()) {
  describe(`projects store and decisions on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: SqlProjectStore;
    let gov: SqlGovernanceStore;
    let access: ProjectAccess;
    const clock = { now: () => 1_000 };

    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlProjectStore(handle);
      gov = new SqlGovernanceStore(handle);
      // Workspace default EDIT: in the default project every member may change everything; projects must still wall theirs off.
      access = new ProjectAccess(new GovernanceAccess(gov, clock, 'EDIT', 0, new Set(), store), store);
      for (const u of ['ann', 'bob', 'cat']) await gov.insertUser({ username: u, role: 'member', email: null, createdAt: 1, passwordHash: 'x' });
      await gov.insertGroup({ name: 'vision-team', description: '', createdAt: 1 });
      await gov.addMember('vision-team', 'cat');
      for (const name of ['vision', 'nlp']) expect(await store.insertProject({ name, description: '', createdBy: 'root', createdAt: 1 })).toBe(true);
      await store.putMember(member('vision', 'user', 'ann', 'admin'));
      await store.putMember(member('vision', 'group', 'vision-team', 'viewer'));
      await store.putMember(member('nlp', 'user', 'bob', 'editor'));
      await store.putMember(member('nlp', 'user', 'cat', 'viewer'));
    });
    afterAll(async () => {
      await handle.close();
    });

    it('has the built-in default project after migrating, and refuses a second project of a name', async () => {
      expect((await store.listProjects()).map((p) => p.name)).toEqual(['default', 'nlp', 'vision']);
      expect(await store.insertProject({ name: 'nlp', description: 'again', createdBy: 'x', createdAt: 2 })).toBe(false);
    });

    it('keeps each object in its project across renames; objects without a row are in the default project', async () => {
      await access.created(user('ann'), { kind: 'experiment', id: 'v1' }, 'vision');
      await access.created(user('bob'), { kind: 'registered_model', id: 'tagger' }, 'nlp');
      await access.created(user('bob'), { kind: 'experiment', id: 'd1' });
      await access.renamed({ kind: 'registered_model', id: 'tagger' }, 'tagger-2');
      expect(Object.fromEntries(await store.projectsOf('experiment', ['v1', 'd1', 'legacy']))).toEqual({ v1: 'vision' });
      expect(await store.objectsIn('nlp')).toEqual([{ kind: 'registered_model', id: 'tagger-2' }]);
      // A reused id starts in the project its new creator names.
      await access.created(user('bob'), { kind: 'registered_model', id: 'tagger-2' });
      expect(await store.objectsIn('nlp')).toEqual([]);
      await access.created(user('bob'), { kind: 'registered_model', id: 'tagger' }, 'nlp');
    });

    it('gives the best role per project, directly or through a group', async () => {
      expect(Object.fromEntries(await store.rolesOf('cat', ['vision-team']))).toEqual({ vision: 'viewer', nlp: 'viewer' });
      await store.putMember(member('nlp', 'group', 'vision-team', 'admin'));
      expect(Object.fromEntries(await store.rolesOf('cat', ['vision-team']))).toEqual({ vision: 'viewer', nlp: 'admin' });
      await store.deleteMember('nlp', 'group', 'vision-team');
      expect(Object.fromEntries(await store.rolesOf('ann', []))).toEqual({ vision: 'admin' });
    });

    it("decides a project object's level by membership: the role's level, none for outsiders whatever the defaults", async () => {
      const v1 = { kind: 'experiment', id: 'v1' } as const;
      const tagger = { kind: 'registered_model', id: 'tagger' } as const;
      const inner = (access as unknown as { inner: GovernanceAccess }).inner;
      expect(await inner.level(user('ann'), v1)).toBe('MANAGE');
      expect(await inner.level(user('cat'), v1)).toBe('READ'); // through the group
      // bob: nlp editor, default EDIT everywhere else, yet nothing on vision's experiment.
      expect(await inner.level(user('bob'), v1)).toBe('NO_PERMISSIONS');
      expect(await inner.level(user('bob'), tagger)).toBe('MANAGE'); // its creator
      expect(await inner.level(user('ann'), tagger)).toBe('NO_PERMISSIONS');
      // An outsider's own grant does not open a project's object: membership is the wall.
      await gov.putGrant(grant('v1', 'user', 'bob', 'MANAGE'));
      inner.invalidate('experiment', 'v1');
      expect(await inner.level(user('bob'), v1)).toBe('NO_PERMISSIONS');
      // A member's own grant raises them above their role.
      await gov.putGrant(grant('v1', 'user', 'cat', 'EDIT'));
      inner.invalidate('experiment', 'v1');
      expect(await inner.level(user('cat'), v1)).toBe('EDIT');
      // The workspace's viewers stay readers, maintainers see everything.
      expect(await inner.level(user('ann', 'viewer'), v1)).toBe('READ');
      expect(await inner.level(user('mo', 'maintainer'), v1)).toBe('MANAGE');
      // The default project keeps today's rule: the workspace default (EDIT) for everyone.
      expect(await inner.level(user('cat'), { kind: 'experiment', id: 'd1' })).toBe('EDIT');
      expect(await inner.level(user('cat'), { kind: 'experiment', id: 'legacy' })).toBe('EDIT');
    });

    it('answers an outsider as for an unknown object or project, and a reader who may not write with 403', async () => {
      await expect(access.require(user('bob'), 'READ', { kind: 'experiment', id: 'v1' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', message: "Experiment with id 'v1' does not exist" });
      await expect(access.require(user('bob'), 'READ', { kind: 'server', project: 'vision' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', message: "Project 'vision' does not exist" });
      await expect(access.require(user('bob'), 'READ', { kind: 'server', project: 'nowhere' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', message: "Project 'nowhere' does not exist" });
      await expect(access.require(user('cat'), 'EDIT', { kind: 'server', project: 'vision' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: "User 'cat' lacks EDIT permission on project 'vision'" });
      await access.require(user('ann'), 'EDIT', { kind: 'server', project: 'vision' });
      await access.require(user('bob'), 'EDIT', { kind: 'server' });
      await expect(access.require(user('bob'), 'READ', { kind: 'server', project: 'Bad Name' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    });

    it('lists only readable objects, narrowed to one project when asked', async () => {
      const ids = ['v1', 'd1', 'legacy'];
      expect(await access.readable(user('bob'), 'experiment', ids, (x) => x)).toEqual(['d1', 'legacy']);
      expect(await access.readable(user('ann'), 'experiment', ids, (x) => x)).toEqual(ids);
      expect(await access.readable(user('ann'), 'experiment', ids, (x) => x, 'vision')).toEqual(['v1']);
      expect(await access.readable(user('ann'), 'experiment', ids, (x) => x, 'default')).toEqual(['d1', 'legacy']);
      // With auth off every object is visible, and the project filter still holds.
      const open = new ProjectAccess(allowAll, store);
      expect(await open.readable(user('bob'), 'experiment', ids, (x) => x, 'vision')).toEqual(['v1']);
    });

    it('manages projects and members through the same decisions', async () => {
      const service = new ProjectService(store, access, clock, { membersChanged: () => (access as unknown as { inner: GovernanceAccess }).inner.invalidateProjectRoles() });
      const made = await service.create(user('bob'), { name: 'speech', description: 'asr' });
      expect(made.members.map((m) => [m.principal, m.role])).toEqual([['bob', 'admin']]);
      expect((await service.list(user('bob'))).map((p) => p.name)).toEqual(['default', 'nlp', 'speech']);
      expect((await service.list(user('mo', 'maintainer'))).map((p) => p.name)).toEqual(['default', 'nlp', 'speech', 'vision']);
      await expect(service.get(user('ann'), 'speech')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await service.setMember(user('bob'), 'speech', { principalType: 'user', principal: 'ann', role: 'viewer' });
      expect((await service.get(user('ann'), 'speech')).name).toBe('speech');
      await expect(service.setMember(user('ann'), 'speech', { principalType: 'user', principal: 'ann', role: 'admin' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      await expect(service.setMember(user('bob'), 'speech', { principalType: 'user', principal: 'cat', role: 'owner' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining("'role'") });
      await expect(service.create(user('ann', 'viewer'), { name: 'mine' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      await expect(service.create(user('bob'), { name: 'speech' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' });
      await access.created(user('bob'), { kind: 'dataset', id: 'clips' }, 'speech');
      expect(await service.objects(user('ann'), 'speech')).toEqual([{ kind: 'dataset', id: 'clips' }]);
      await expect(service.delete(user('bob'), 'speech')).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await store.assign('dataset', 'clips', 'default');
      await service.removeMember(user('bob'), 'speech', 'user', 'ann');
      await expect(service.get(user('ann'), 'speech')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await service.delete(user('bob'), 'speech');
      expect(await store.getProject('speech')).toBeUndefined();
      await expect(service.delete(user('mo', 'maintainer'), 'default')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    });
  });
}
