import { describe, expect, it } from 'vitest';
import { anonymousAdmin } from '../../core/actor.js';
import type { Permission } from '../access/access.js';
import { governanceAccess } from './governance-access.js';
import { userActor } from './governance.service.js';
import type { Role } from './types.js';

const exp = { kind: 'experiment', id: '1' } as const;

// MLflow's ladder: viewer reads; member reads and edits; maintainer and admin also manage.
const EXPECTED: Record<Role, Record<Permission, boolean>> = {
  viewer: { READ: true, EDIT: false, MANAGE: false },
  member: { READ: true, EDIT: true, MANAGE: false },
  maintainer: { READ: true, EDIT: true, MANAGE: true },
  admin: { READ: true, EDIT: true, MANAGE: true },
};

describe('governanceAccess', () => {
  for (const [role, row] of Object.entries(EXPECTED) as [Role, Record<Permission, boolean>][]) {
    for (const [permission, allowed] of Object.entries(row) as [Permission, boolean][]) {
      it(`${role} ${allowed ? 'may' : 'may not'} ${permission}`, async () => {
        const check = governanceAccess.require(userActor({ username: 'u', role }), permission, exp);
        if (allowed) await expect(check).resolves.toBeUndefined();
        else await expect(check).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
      });
    }
  }

  it('treats the unauthenticated anonymous admin as nobody', async () => {
    await expect(governanceAccess.require(anonymousAdmin(), 'READ', exp)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
