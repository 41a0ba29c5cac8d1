import type { FastifyRequest } from 'fastify';
import { anonymousAdmin, type Actor } from '../core/actor.js';
import type { ChangeNote } from '../core/audit-notes.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    /** What the services changed while handling the request, for the audit log. */
    auditNotes: ChangeNote[];
    /** Set when the request was refused (denied, or told a hidden object does not exist): why, for the audit log. */
    refusal: { readonly code: string; readonly reason: string } | undefined;
    /** Set by the sign-in routes: who a sign-in claimed to be, so a failure is audited under that name. */
    signInAttempt: string | undefined;
  }
}

/**
 * With auth off, whoever the client says it is acts as admin: MLflow clients send basic auth when
 * MLFLOW_TRACKING_USERNAME is set, and `mlflow.user` as a run tag (read by the run service).
 */
export function actorFromRequest(request: FastifyRequest): Actor {
  const header = request.headers.authorization;
  if (header?.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const user = decoded.slice(0, Math.max(0, decoded.indexOf(':')));
    if (user) return anonymousAdmin(user);
  }
  return anonymousAdmin();
}
