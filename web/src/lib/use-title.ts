import { useEffect, useSyncExternalStore } from 'react';

/** A breadcrumb: its label, and where it leads when that is a page. */
export interface Crumb {
  readonly label: string;
  readonly to?: string | undefined;
}

/**
 * Names a view gives the parts of its path that are ids (an experiment's number, a run's uuid): the path of the
 * part (`/experiments/3`) → the crumb(s) shown in its place (the experiment's name).
 */
export type CrumbNames = Readonly<Record<string, Crumb | readonly Crumb[]>>;

/** The title and crumb names the view at `path` gave itself: a view without them never shows those of the view before it. */
interface Seen {
  readonly path: string;
  readonly title: string | undefined;
  readonly names: CrumbNames | undefined;
}
let current: Seen | undefined;
const listeners = new Set<() => void>();

/**
 * Each view names itself in the tab title, so history and bookmarks say where they lead; the breadcrumbs end with
 * it, and show `names` (once the view has loaded them) instead of the raw ids in its path.
 */
export function useTitle(title: string | undefined, names?: CrumbNames): void {
  const namesKey = names ? JSON.stringify(names) : '';
  useEffect(() => {
    document.title = title ? `${title} · OpenExpert` : 'OpenExpert';
    current = { path: window.location.pathname, title, names: namesKey ? (JSON.parse(namesKey) as CrumbNames) : undefined };
    for (const l of listeners) l();
  }, [title, namesKey]);
}

/** What the view at `pathname` said of itself, if it did (for the breadcrumbs). */
export function useCurrentTitle(pathname: string): { title: string | undefined; names: CrumbNames | undefined } {
  const seen = useSyncExternalStore((l) => {
    listeners.add(l);
    return () => { listeners.delete(l); };
  }, () => current);
  return seen?.path === pathname ? { title: seen.title, names: seen.names } : { title: undefined, names: undefined };
}
