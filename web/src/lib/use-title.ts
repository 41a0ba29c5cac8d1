import { useEffect } from 'react';

/** Each view names itself in the tab title, so history and bookmarks say where they lead. */
export function useTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · OpenExpert` : 'OpenExpert';
  }, [title]);
}
