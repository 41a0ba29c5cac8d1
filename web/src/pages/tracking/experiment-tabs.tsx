import { Link, useLocation } from 'react-router';

/** Runs table and chart workspace are two looks at one view: the query string (filter, columns, panels) goes along. */
export function ExperimentTabs({ experimentId, current }: { experimentId: string; current: 'runs' | 'charts' }) {
  const { search } = useLocation();
  const base = `/experiments/${encodeURIComponent(experimentId)}`;
  return (
    <nav className="tabs" aria-label="Experiment views">
      <Link to={`${base}${search}`} aria-current={current === 'runs' ? 'page' : undefined}>Runs</Link>
      <Link to={`${base}/charts${search}`} aria-current={current === 'charts' ? 'page' : undefined}>Charts</Link>
    </nav>
  );
}
