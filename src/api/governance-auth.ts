import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isDomainError } from '../core/errors.js';
import { bodySummary, type AuditLog } from '../domain/governance/audit-log.js';
import type { GovernanceService } from '../domain/governance/governance.service.js';
import { mlflowErrorBody } from './mlflow/errors.js';
import { v1ErrorBody } from './v1/errors.js';

export interface Governance {
  readonly service: GovernanceService;
  readonly audit: AuditLog;
}

/** Reachable without credentials: probes and the UI's static files (the UI's API calls still authenticate). */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/health', '/version', '/api/v1/health', '/api/v1/version']);
const PROTECTED = /^\/(api|ajax-api|v2|serve|metrics)(\/|$)/;

const pathOf = (request: FastifyRequest): string => request.url.split('?', 1)[0] ?? '';

async function authenticate(governance: Governance, request: FastifyRequest): Promise<FastifyRequest['actor'] | undefined> {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return governance.service.authenticateToken(header.slice(7).trim());
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const secret = decoded.slice(colon + 1);
    // MLflow clients put a token in the password slot when only MLFLOW_TRACKING_TOKEN-style secrets are at hand.
    if (secret.startsWith('oe_')) return governance.service.authenticateToken(secret);
    return governance.service.signIn(decoded.slice(0, colon), secret, request.ip);
  }
  return undefined;
}

/**
 * Auth on: every API request carries basic or bearer credentials, and every successful state change is
 * appended to the hash-chained audit log from this one place, whichever surface served it.
 */
export function registerGovernance(app: FastifyInstance, governance: Governance): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request);
    if (PUBLIC_PATHS.has(path) || !PROTECTED.test(path)) return;
    let actor;
    let message = 'Authentication required';
    try {
      actor = await authenticate(governance, request);
    } catch (err) {
      if (!isDomainError(err)) throw err;
      message = err.message;
    }
    if (actor) {
      request.actor = actor;
      return;
    }
    void reply.status(401).header('www-authenticate', 'Basic realm="openexpert"');
    return reply.send(path.startsWith('/api/v1/') ? v1ErrorBody('UNAUTHENTICATED', message) : mlflowErrorBody('UNAUTHENTICATED', message));
  });
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS' || reply.statusCode >= 400) return;
    if (!request.actor?.authenticated) return;
    await governance.audit.append({
      actor: request.actor.userId,
      action: `${request.method} ${pathOf(request)}`,
      status: reply.statusCode,
      requestId: String(request.id),
      sourceIp: request.ip,
      summary: bodySummary(request.body),
    });
  });
}
