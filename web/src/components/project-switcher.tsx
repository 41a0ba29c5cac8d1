import { useSyncExternalStore } from 'react';
import { projectsApi } from '../api/projects';
import { currentProject, onCurrentProjectChange, setCurrentProject } from '../lib/current-project';
import { useApi } from '../lib/use-api';

/**
 * The header's project switcher: narrows the lists of experiments, models, datasets and monitors to one project.
 * Changing it reloads the page, so every list on it is asked again with the new project.
 */
export function ProjectSwitcher() {
  const selected = useSyncExternalStore(onCurrentProjectChange, currentProject);
  const projects = useApi((signal) => projectsApi.list(signal), []);
  const names = projects.data?.items.map((p) => p.name) ?? [];
  // A remembered project the user may no longer see (or that was deleted) is still shown, so the choice is visible.
  const options = selected && projects.data && !names.includes(selected) ? [...names, selected] : names;
  return (
    <span className="project-switcher">
      <label htmlFor="project-switcher">Project</label>{' '}
      <select id="project-switcher" value={selected} onChange={(e) => { setCurrentProject(e.target.value); window.location.reload(); }}>
        <option value="">All projects</option>
        {options.map((name) => <option key={name} value={name}>{name}</option>)}
      </select>
    </span>
  );
}
