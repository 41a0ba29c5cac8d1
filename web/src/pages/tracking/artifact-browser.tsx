import { Link, useSearchParams } from 'react-router';
import { artifactsApi, proxiedPath, type ArtifactEntry } from '../../api/artifacts';
import { ErrorMessage, Loading } from '../../components/status';
import { parseCsv } from '../../lib/csv';
import { formatBytes } from '../../lib/format';
import { useApi } from '../../lib/use-api';

const PREVIEW_BYTES = 512 * 1024;
const IMAGE = /\.(png|jpe?g|gif|svg|webp|bmp)$/i;
const TEXT = /(\.(txt|log|md|ya?ml|py|json|jsonl|csv|tsv|toml|ini|cfg|sh|r|sql|html|xml|ipynb)$|(^|\/)(MLmodel|requirements\.txt|conda\.yaml|python_env\.yaml|Dockerfile|LICENSE)$)/i;

type Kind = 'image' | 'json' | 'csv' | 'tsv' | 'text' | 'binary';
function kindOf(path: string): Kind {
  if (IMAGE.test(path)) return 'image';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.tsv$/i.test(path)) return 'tsv';
  return TEXT.test(path) ? 'text' : 'binary';
}

const parentOf = (p: string) => p.split('/').slice(0, -1).join('/');

/** A folder listing beside a preview of the chosen file; the open folder and file are in the URL (`?path=`). */
export function ArtifactBrowser({ artifactUri }: { artifactUri: string }) {
  const root = proxiedPath(artifactUri);
  const [params] = useSearchParams();
  const selected = params.get('path') ?? '';
  const file = params.get('file') === '1';
  const dir = file ? parentOf(selected) : selected;
  const listing = useApi(async () => (root === undefined ? [] : artifactsApi.list(root, dir)), [root, dir]);
  if (root === undefined) {
    return <><h2>Artifacts</h2><p>This run stores artifacts at <code>{artifactUri}</code>, which the server does not proxy; open it with the store's own tools.</p></>;
  }
  const link = (entry: ArtifactEntry) => `?path=${encodeURIComponent(entry.path)}${entry.isDir ? '' : '&file=1'}`;
  return (
    <>
      <h2>Artifacts</h2>
      <p className="muted mono" aria-label="Current folder">
        <Link to="?">artifacts</Link>{dir ? dir.split('/').map((part, i, all) => (
          <span key={i}> / <Link to={`?path=${encodeURIComponent(all.slice(0, i + 1).join('/'))}`}>{part}</Link></span>
        )) : null}
      </p>
      <div className="artifacts">
        <nav aria-label="Artifact files">
          {listing.error ? <ErrorMessage error={listing.error} what="artifacts" /> : null}
          {listing.loading && !listing.data ? <Loading what="artifacts" /> : null}
          {listing.data ? (
            <ul className="tree">
              {dir ? <li><Link to={`?path=${encodeURIComponent(parentOf(dir))}`}>.. (up)</Link></li> : null}
              {listing.data.length === 0 ? <li><span className="muted">No artifacts{dir ? ' in this folder' : ''}.</span></li> : null}
              {listing.data.map((e) => (
                <li key={e.path}>
                  <Link to={link(e)} aria-current={e.path === selected && file ? 'true' : undefined}>
                    <span>{e.name}{e.isDir ? '/' : ''}</span>
                    <span className="muted">{formatBytes(e.size)}</span>
                  </Link>
                </li>
              ))}
            </ul>
          ) : null}
        </nav>
        <section className="preview" aria-label="Preview">
          {file ? <Preview root={root} path={selected} /> : <p className="muted">Choose a file to preview it.</p>}
        </section>
      </div>
    </>
  );
}

function Preview({ root, path }: { root: string; path: string }) {
  const kind = kindOf(path);
  const url = artifactsApi.downloadUrl(root, path);
  const content = useApi(async () => (kind === 'image' || kind === 'binary' ? undefined : artifactsApi.head(root, path, PREVIEW_BYTES)), [root, path, kind]);
  const name = path.split('/').pop() ?? path;
  return (
    <>
      <div className="toolbar">
        <h3 style={{ margin: 0 }} className="mono">{path}</h3>
        <a className="button" href={url} download={name}>Download</a>
      </div>
      {kind === 'image' ? <img src={url} alt={`Artifact ${name}`} /> : null}
      {kind === 'binary' ? <p>No preview for this file type; download it instead.</p> : null}
      {content.error ? <ErrorMessage error={content.error} what={name} /> : null}
      {content.loading && kind !== 'image' && kind !== 'binary' ? <Loading what={name} /> : null}
      {content.data ? <TextPreview kind={kind} bytes={content.data.bytes} truncated={content.data.truncated} size={content.data.size} /> : null}
    </>
  );
}

function TextPreview({ kind, bytes, truncated, size }: { kind: Kind; bytes: Uint8Array; truncated: boolean; size?: number | undefined }) {
  const text = new TextDecoder().decode(bytes);
  const note = truncated ? <p className="muted">Showing the first {formatBytes(bytes.length)} of {formatBytes(size)}.</p> : null;
  if (kind === 'csv' || kind === 'tsv') {
    const rows = parseCsv(text, kind === 'csv' ? ',' : '\t', { truncated });
    const [header, ...body] = rows;
    const shown = body.slice(0, 1000);
    return (
      <>
        {note}
        <table className="grid" data-testid="csv-preview">
          <thead><tr>{header?.map((h, i) => <th key={i} scope="col">{h}</th>)}</tr></thead>
          <tbody>{shown.map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}>{c}</td>)}</tr>)}</tbody>
        </table>
        {body.length > shown.length ? <p className="muted">{body.length - shown.length} more rows not shown.</p> : null}
      </>
    );
  }
  let shownText = text;
  if (kind === 'json' && !truncated) {
    try {
      shownText = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // not valid JSON: show it as it is
    }
  }
  return <>{note}<pre data-testid="text-preview">{shownText}</pre></>;
}
