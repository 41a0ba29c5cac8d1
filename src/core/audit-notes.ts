import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a service says about the change it just made: the object, and its state before and after (no secrets); or,
 * with `read`, an object a request was allowed to read (noted only for kinds whose reads are audited).
 */
export interface ChangeNote {
  readonly object: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly read?: true;
}

const scope = new AsyncLocalStorage<ChangeNote[]>();

/** Runs one request's handler so the changes its services note land in `notes`. */
export function collectChanges<T>(notes: ChangeNote[], work: () => Promise<T>): Promise<T> {
  return scope.run(notes, work);
}

/** Called by services after a state change; a no-op outside a request (jobs, tests). */
export function noteChange(note: ChangeNote): void {
  scope.getStore()?.push(note);
}

export function noteRead(object: string): void {
  const notes = scope.getStore();
  if (notes && !notes.some((n) => n.read && n.object === object)) notes.push({ object, read: true });
}
