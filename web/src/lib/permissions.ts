/**
 * The one place the UI decides what a permission level allows (the server decides for real; the UI only
 * hides what would be refused). Levels are MLflow's, in rank order.
 */
export const PERMISSION_LEVELS = ['NO_PERMISSIONS', 'READ', 'USE', 'EDIT', 'MANAGE'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

const rank = (level: string | undefined): number => PERMISSION_LEVELS.indexOf(level as PermissionLevel);

/** True when `level` is at least `needed`; an unknown or missing level allows nothing. */
export function can(level: string | undefined, needed: PermissionLevel): boolean {
  const have = rank(level);
  return have >= 0 && have >= rank(needed);
}

/** What each action on a registered model needs, as the registry and promotion services require it. */
export const MODEL_ACTIONS = {
  requestPromotion: 'EDIT',
  approve: 'EDIT',
  reject: 'EDIT',
  withdraw: 'EDIT',
  setAlias: 'EDIT',
  transition: 'EDIT',
  rollback: 'MANAGE',
  editPolicy: 'MANAGE',
  delete: 'MANAGE',
  managePermissions: 'MANAGE',
} as const satisfies Record<string, PermissionLevel>;

export type ModelAction = keyof typeof MODEL_ACTIONS;

export const mayOnModel = (level: string | undefined, action: ModelAction): boolean => can(level, MODEL_ACTIONS[action]);
