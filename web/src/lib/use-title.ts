import { useEffect, useSyncExternalStore } from 'react';

/** The title the view at `path` gave itself: a view without one never shows the title of the view before it. */
let current: { readonly path: string; readonly title: string | undefined } | undefined;
const listeners = new Set<() => void>();

/** Each view names itself in the tab title, so history and bookmarks say where they lead; the breadcrumbs end with it. */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · OpenExpert` : 'OpenExpert';
    current = { path: window.location.pathname, title };
    for (const l of listeners) l();
  }, [title]);
}

/** The title the view at `pathname` gave itself, if it did (for the last breadcrumb). */
export function useCurrentTitle(pathname: string): string | undefined {
  const seen = useSyncExternalStore((l) => {
    listeners.add(l);
    return () => { listeners.delete(l); };
  }, () => current);
  return seen?.path === pathname ? seen.title : undefined;
}
