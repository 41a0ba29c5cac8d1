import type { Route } from '../surface.js';
import { VERSION } from '../../core/version.js';

export function systemRoutesV1(checkDatabase: () => Promise<void>): Route[] {
  return [
    {
      method: 'GET', path: '/health',
      handler: async ({ reply }) => {
        try {
          await checkDatabase();
          return { status: 'ok' };
        } catch {
          void reply.status(503);
          return { status: 'unavailable', reason: 'database unreachable' };
        }
      },
    },
    { method: 'GET', path: '/version', handler: async () => ({ version: VERSION }) },
  ];
}
