import { Link, useParams } from 'react-router';
import { ObjectPermissions } from '../../components/permissions-panel';
import { datasetsApi } from '../../api/datasets';
import { ErrorMessage, Loading, NotFound } from '../../components/status';
import { formatBytes, formatTime } from '../../lib/format';
import { useApi } from '../../lib/use-api';
import { useTitle } from '../../lib/use-title';

export function DatasetPage() {
  const { name = '' } = useParams();
  useTitle(`Dataset ${name}`);
  const versions = useApi((signal) => datasetsApi.versions(name, signal), [name]);
  if (versions.error) return <ErrorMessage error={versions.error} what="dataset" />;
  if (!versions.data) return <Loading what="dataset" />;
  if (versions.data.items.length === 0) return <NotFound what="dataset" detail={`Dataset '${name}' does not exist.`} />;
  const items = [...versions.data.items].sort((a, b) => b.version - a.version);
  return (
    <article aria-labelledby="dataset-title">
      <p className="muted"><Link to="/datasets">Datasets</Link> /</p>
      <h1 id="dataset-title">{name}</h1>
      <h2>Versions</h2>
      <table className="grid" data-testid="versions-table">
        <thead><tr><th scope="col">Version</th><th scope="col">Digest</th><th scope="col">Rows</th><th scope="col">Size</th><th scope="col">Labels</th><th scope="col">Created</th></tr></thead>
        <tbody>
          {items.map((v) => (
            <tr key={v.id}>
              <td><Link to={`/datasets/${encodeURIComponent(name)}/versions/${v.version}`} aria-label={`Version ${v.version}`}>v{v.version}</Link></td>
              <td className="mono" title={v.digest}>{v.digest.slice(0, 12)}</td>
              <td className="num">{v.rowCount === null ? '—' : v.rowCount.toLocaleString()}</td>
              <td className="num">{formatBytes(v.size)}</td>
              <td>{v.labels.length ? v.labels.join(', ') : '—'}</td>
              <td>{formatTime(v.createdAt)} by {v.createdBy}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ObjectPermissions kind="dataset" id={name} />
    </article>
  );
}
