/** Who is acting. With auth off every request acts as the anonymous admin, named by the client when it says who it is. */
export interface Actor {
  readonly userId: string;
  readonly isAdmin: boolean;
  readonly authenticated: boolean;
}

export const ANONYMOUS_USER = 'anonymous';

export function anonymousAdmin(userId: string = ANONYMOUS_USER): Actor {
  return { userId, isAdmin: true, authenticated: false };
}

/** The server acting on its own behalf (internal lookups, background jobs): never a request's actor. */
export const SYSTEM_ACTOR: Actor = { userId: 'openexpert-system', isAdmin: true, authenticated: true };
