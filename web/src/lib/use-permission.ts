import { authApi, type ObjectKind } from '../api/auth';
import { useAuth } from '../components/auth';
import type { PermissionLevel } from './permissions';
import { useApi } from './use-api';

/**
 * The signed-in user's level on one object, for hiding what the server would refuse. With auth off every
 * action is shown (MANAGE, no request); while the answer loads (or if it fails) the level is undefined,
 * which allows nothing.
 */
export function useObjectLevel(kind: ObjectKind, id: string): { level: PermissionLevel | undefined; reload(): void } {
  const { authEnabled, user } = useAuth();
  const effective = useApi(
    async (signal) => (authEnabled ? (await authApi.effective(kind, id, signal)).level : undefined),
    [authEnabled, user, kind, id],
  );
  return { level: authEnabled ? effective.data : 'MANAGE', reload: effective.reload };
}
