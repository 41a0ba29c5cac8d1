import { describe, expect, it } from 'vitest';
import { can, mayOnModel, PERMISSION_LEVELS } from './permissions';

describe('permission levels', () => {
  it('ranks NO_PERMISSIONS < READ < USE < EDIT < MANAGE', () => {
    for (const [i, have] of PERMISSION_LEVELS.entries()) {
      for (const [j, needed] of PERMISSION_LEVELS.entries()) expect(can(have, needed), `${have} ≥ ${needed}`).toBe(i >= j);
    }
  });

  it('allows nothing for a missing or unknown level', () => {
    expect(can(undefined, 'READ')).toBe(false);
    expect(can('OWNER', 'READ')).toBe(false);
    expect(can(undefined, 'NO_PERMISSIONS')).toBe(false);
  });

  it('maps model actions to the level the server requires', () => {
    expect(mayOnModel('READ', 'approve')).toBe(false);
    expect(mayOnModel('USE', 'requestPromotion')).toBe(false);
    expect(mayOnModel('EDIT', 'requestPromotion')).toBe(true);
    expect(mayOnModel('EDIT', 'approve')).toBe(true);
    expect(mayOnModel('EDIT', 'rollback')).toBe(false);
    expect(mayOnModel('EDIT', 'managePermissions')).toBe(false);
    expect(mayOnModel('MANAGE', 'rollback')).toBe(true);
    expect(mayOnModel('MANAGE', 'delete')).toBe(true);
  });
});
