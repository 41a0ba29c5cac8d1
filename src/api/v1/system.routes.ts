import { z } from 'zod';
import { VERSION } from '../../core/version.js';
import type { Route } from '../surface.js';

const Health = z.object({ status: z.enum(['ok', 'unavailable']), reason: z.string().optional() });

export function systemRoutesV1(checkDatabase: () => Promise<void>): Route[] {
  return [
    {
      method: 'GET', path: '/health',
      schema: { summary: 'Liveness and database reachability', tags: ['system'], response: { 200: Health, 503: Health } },
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
    { method: 'GET', path: '/version', schema: { summary: 'Server version', tags: ['system'], response: { 200: z.object({ version: z.string() }) } }, handler: async () => ({ version: VERSION }) },
    {
      method: 'GET', path: '/openapi.json',
      schema: {
        summary: 'This API description (OpenAPI 3.1)', tags: ['system'],
        response: { 200: z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }).describe('an OpenAPI 3.1 document') },
      },
      handler: async ({ request }) => request.server.swagger(),
    },
  ];
}
