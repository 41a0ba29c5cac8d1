import { matchRoutes, Link, useLocation, type RouteObject } from 'react-router';
import { useCurrentTitle, type Crumb, type CrumbNames } from '../lib/use-title';
import { modules } from '../modules';

/** Names of the path segments that are collections; any other segment is shown as it is (an id, a name, a version). */
const SEGMENT_LABELS: Readonly<Record<string, string>> = {
  experiments: 'Experiments', runs: 'Runs', compare: 'Compare', charts: 'Charts', models: 'Models', versions: 'Versions',
  promotions: 'Promotions', datasets: 'Datasets', evaluations: 'Evaluations', pipelines: 'Pipelines', sweeps: 'Sweeps',
  features: 'Features', prompts: 'Prompts', traces: 'Traces', monitoring: 'Monitoring', projects: 'Projects',
  'api-reference': 'API reference', admin: 'Admin', users: 'Users', groups: 'Groups', audit: 'Audit log', reproducibility: 'Reproducibility',
};

const routes: RouteObject[] = [{ path: '/', children: modules.flatMap((m) => m.routes) }];

/** A path that opens a page of its own (not the not-found page). */
const isPage = (path: string) => (matchRoutes(routes, path)?.length ?? 0) > 1;

/** A long id (a run's 32 hex digits) is shortened in the trail; its page title says it in full. */
const short = (segment: string) => (/^[0-9a-f]{20,}$/i.test(segment) ? `${segment.slice(0, 8)}…` : segment);

/**
 * The trail of a path: Home, then each prefix of the path, linked when it is a page; the last one is the page's
 * title. A prefix the view named (`names`: an experiment's id → its name) shows that name instead.
 */
export function crumbsOf(pathname: string, title: string | undefined, names: CrumbNames = {}): Crumb[] {
  const segments = pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  const crumbs: Crumb[] = [{ label: 'Home', to: '/' }];
  let path = '';
  segments.forEach((segment, i) => {
    path += `/${encodeURIComponent(segment)}`;
    const last = i === segments.length - 1;
    const named = names[path];
    if (named && !(last && title)) {
      crumbs.push(...(Array.isArray(named) ? named : [named as Crumb]).map((c) => (last ? { label: c.label } : c)));
      return;
    }
    const label = last && title ? title : SEGMENT_LABELS[segment] ?? short(segment);
    crumbs.push({ label, to: !last && isPage(path) ? path : undefined });
  });
  return crumbs;
}

export function Breadcrumbs() {
  const { pathname } = useLocation();
  const { title, names } = useCurrentTitle(pathname);
  const crumbs = pathname === '/' ? [{ label: 'Home' }] : crumbsOf(pathname, title, names);
  return (
    <nav className="breadcrumbs" aria-label="Breadcrumb" data-testid="breadcrumbs">
      <ol>
        {crumbs.map((c, i) => (
          <li key={i}>
            {i === crumbs.length - 1 ? <span aria-current="page" title={c.label}>{c.label}</span> : c.to ? <Link to={c.to}>{c.label}</Link> : <span>{c.label}</span>}
          </li>
        ))}
      </ol>
    </nav>
  );
}
