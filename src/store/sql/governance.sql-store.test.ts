import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../../test/support/backends.js';
import type { Actor } from '../../core/actor.js';
import { AuditLog } from '../../domain/governance/audit-log.js';
import { GovernanceAccess } from '../../domain/governance/governance-access.js';
import { userActor } from '../../domain/governance/governance.service.js';
import type { Grant } from '../../domain/governance/types.js';
import type { DatabaseHandle } from '../db.js';
import { SqlGovernanceStore } from './governance.sql-store.js';

const user = (username: string, role: 'viewer' | 'member' | 'maintainer' | 'admin' = 'member'): Actor => userActor({ username, role });
const grant = (id: string, principalType: Grant['principalType'], principal: string, level: Grant['level']): Grant => ({
  kind: 'experiment', id, principalType, principal, level, grantedBy: 'root', grantedAt: 1,
});

for (const backend of testBackends()) {
  describe(`governance store and access on ${backend.name}`, () => {
    let handle: DatabaseHandle;
    let store: SqlGovernanceStore;
    let now = 1_000;
    const clock = { now: () => now };
    let access: GovernanceAccess;

    beforeAll(async () => {
      handle = await backend.open();
      store = new SqlGovernanceStore(handle);
      access = new GovernanceAccess(store, clock, 'READ', 0);
      for (const u of ['ann', 'bob', 'cat', 'dan']) await store.insertUser({ username: u, role: 'member', email: null, createdAt: 1, passwordHash: 'x' });
      await store.insertGroup({ name: 'leads', description: '', createdAt: 1 });
      await store.addMember('leads', 'bob');
      await store.addMember('leads', 'bob'); // adding twice is a no-op
    });
    afterAll(async () => {
      await handle.close();
    });

    it('gives the creator MANAGE and everyone else the default, replacing grants of a reused name', async () => {
      await store.putGrant(grant('e1', 'user', 'dan', 'MANAGE'));
      await access.created(user('ann'), { kind: 'experiment', id: 'e1' });
      expect(await access.level(user('ann'), { kind: 'experiment', id: 'e1' })).toBe('MANAGE');
      expect(await access.level(user('cat'), { kind: 'experiment', id: 'e1' })).toBe('READ');
      // dan's grant belonged to an earlier object of the same id.
      expect(await access.level(user('dan'), { kind: 'experiment', id: 'e1' })).toBe('READ');
    });

    it("decides by the user's own grant first, then the best of groups and everyone", async () => {
      await store.replaceGrants('experiment', 'e2', [grant('e2', 'everyone', '*', 'READ'), grant('e2', 'group', 'leads', 'EDIT'), grant('e2', 'user', 'cat', 'NO_PERMISSIONS')]);
      expect(await access.level(user('bob'), { kind: 'experiment', id: 'e2' })).toBe('EDIT'); // via the group
      expect(await access.level(user('ann'), { kind: 'experiment', id: 'e2' })).toBe('READ'); // everyone
      expect(await access.level(user('cat'), { kind: 'experiment', id: 'e2' })).toBe('NO_PERMISSIONS'); // own grant takes access away
      // Hidden, not refused: told it does not exist, as for an unknown experiment; 403 is for what one may read but not change.
      await expect(access.require(user('cat'), 'READ', { kind: 'experiment', id: 'e2' })).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', concealed: true, message: "Experiment with id 'e2' does not exist" });
      await expect(access.require(user('ann'), 'EDIT', { kind: 'experiment', id: 'e2' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      // Viewers never write, whatever they are granted; maintainers manage everything.
      await store.putGrant(grant('e2', 'user', 'vee', 'MANAGE'));
      expect(await access.level(user('vee', 'viewer'), { kind: 'experiment', id: 'e2' })).toBe('READ');
      expect(await access.level(user('mo', 'maintainer'), { kind: 'experiment', id: 'e2' })).toBe('MANAGE');
      // Objects with no grants at all (made before auth was on) fall back to the workspace default.
      expect(await access.level(user('ann'), { kind: 'experiment', id: 'legacy' })).toBe('READ');
      // The workspace: viewers read, members create, maintainers manage.
      expect(await access.level(user('vee', 'viewer'), { kind: 'server' })).toBe('READ');
      expect(await access.level(user('ann'), { kind: 'server' })).toBe('EDIT');
      expect(await access.level(user('mo', 'maintainer'), { kind: 'server' })).toBe('MANAGE');
      expect(await access.level({ userId: 'x', isAdmin: true, authenticated: false }, { kind: 'server' })).toBe('NO_PERMISSIONS');
    });

    it('filters lists to what the caller may read, keeping their order', async () => {
      await store.replaceGrants('experiment', 'e3', [grant('e3', 'everyone', '*', 'NO_PERMISSIONS'), grant('e3', 'user', 'ann', 'READ')]);
      const items = ['e3', 'e2', 'legacy', 'e1'];
      expect(await access.readable(user('ann'), 'experiment', items, (x) => x)).toEqual(['e3', 'e2', 'legacy', 'e1']);
      expect(await access.readable(user('bob'), 'experiment', items, (x) => x)).toEqual(['e2', 'legacy', 'e1']);
      expect(await access.readable(user('cat'), 'experiment', items, (x) => x)).toEqual(['legacy', 'e1']);
      expect(await access.readable(user('mo', 'maintainer'), 'experiment', items, (x) => x)).toEqual(items);
    });

    it('moves grants with a rename and drops a group with its grants and memberships', async () => {
      await access.renamed({ kind: 'experiment', id: 'e2' }, 'e2b');
      expect(await access.level(user('bob'), { kind: 'experiment', id: 'e2b' })).toBe('EDIT');
      expect(await store.grantsOn('experiment', ['e2'])).toEqual([]);
      expect(await store.deleteGroup('leads')).toBe(true);
      expect(await store.groupsOf('bob')).toEqual([]);
      expect((await store.grantsOn('experiment', ['e2b'])).some((g) => g.principalType === 'group')).toBe(false);
    });

    it('keeps sessions until they expire', async () => {
      await store.insertSession('h1', { username: 'ann', csrfToken: 'c', expiresAt: 5_000, createdAt: 1 });
      expect(await store.sessionByHash('h1')).toEqual({ username: 'ann', csrfToken: 'c', expiresAt: 5_000 });
      expect(await store.deleteExpiredSessions(6_000)).toBe(1);
      expect(await store.sessionByHash('h1')).toBeUndefined();
    });

    it('chains the appends of two writers (two server processes) into one unbroken log', async () => {
      // A database of its own, so the other tests' entries do not matter.
      const own = await backend.open();
      try {
        const shared = new SqlGovernanceStore(own);
        const a = new AuditLog(shared, clock);
        const b = new AuditLog(shared, clock);
        await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).append({ actor: `w${i % 2}`, action: `POST /c/${i}`, status: 200, requestId: `c${i}`, sourceIp: '', summary: '' })));
        expect((await shared.lastAudit())?.seq).toBe(60);
        expect(await new AuditLog(shared, clock).verify()).toEqual({ ok: true, checked: 60, keyed: false });
      } finally {
        await own.close();
      }
    });

    it('prunes the audit log behind a checkpoint that verify accepts, and finds rows removed without one', async () => {
      const audit = new AuditLog(store, clock);
      for (let i = 0; i < 5; i++) {
        now = 1_000 + i * 86_400_000;
        await audit.append({ actor: 'ann', action: `POST /x/${i}`, status: 200, requestId: `r${i}`, sourceIp: '127.0.0.1', summary: '', object: `experiment:${i}`, detail: '{"after":{"a":1}}' });
      }
      expect(await audit.verify()).toEqual({ ok: true, checked: 5, keyed: false });
      now = 1_000 + 4 * 86_400_000 + 1;
      // Keep two days: entries of day 0, 1 and 2 go (2 is exactly two days old: older than the cut-off by 1 ms).
      expect(await audit.prune(2)).toBe(3);
      const left = await audit.list({ limit: 100 });
      expect(left.map((e) => e.seq)).toEqual([4, 5, 6]);
      expect(left[2]).toMatchObject({ action: 'audit.prune', detail: expect.stringContaining('"throughSeq":3') });
      expect(await audit.verify()).toEqual({ ok: true, checked: 3, keyed: false });
      // Deleting the oldest retained entry by hand is not retention: the checkpoint names entry 3, not 4.
      await store.deleteAuditThrough(4);
      expect(await audit.verify()).toMatchObject({ ok: false, firstBadSeq: 4 });
    });
  });
}
