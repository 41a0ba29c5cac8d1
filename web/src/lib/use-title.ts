import { useEffect, useSyncExternalStore } from 'react';

let current: string | undefined;
const listeners = new Set<() => void>();

/** Each view names itself in the tab title, so history and bookmarks say where they lead; the breadcrumbs end with it. */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · OpenExpert` : 'OpenExpert';
    current = title;
    for (const l of listeners) l();
  }, [title]);
}

/** The title the current view gave itself (for the last breadcrumb). */
export function useCurrentTitle(): string | undefined {
  return useSyncExternalStore((l) => {
    listeners.add(l);
    return () => { listeners.delete(l); };
  }, () => current);
}
