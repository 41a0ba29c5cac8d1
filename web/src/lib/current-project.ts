/**
 * The project the lists are narrowed to, chosen in the header's switcher and kept in this browser ('' = every
 * project the user may see). List calls add it as `?project=`; the server decides what the user may see.
 */
const KEY = 'openexpert.project';
const EVENT = 'openexpert-project';

export function currentProject(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function setCurrentProject(project: string): void {
  if (project) localStorage.setItem(KEY, project);
  else localStorage.removeItem(KEY);
  window.dispatchEvent(new Event(EVENT));
}

export function onCurrentProjectChange(listener: () => void): () => void {
  window.addEventListener(EVENT, listener);
  return () => window.removeEventListener(EVENT, listener);
}

/** The `project` query parameter of a list call: absent when no project is chosen. */
export const projectQuery = (): { project?: string } => {
  const p = currentProject();
  return p ? { project: p } : {};
};
