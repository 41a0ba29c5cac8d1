import { get, requestBytes } from './client';

/** The MLflow artifact proxy (`/api/2.0/mlflow-artifacts`): paths are relative to the server's artifact root. */
export interface ArtifactEntry {
  readonly path: string;
  readonly name: string;
  readonly isDir: boolean;
  readonly size?: number;
}

const BASE = '/api/2.0/mlflow-artifacts/artifacts';

/** `mlflow-artifacts:/1/abc/artifacts` (or with a host) → `1/abc/artifacts`; other schemes are not served by the proxy. */
export function proxiedPath(artifactUri: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
  return m ? m[1]!.replace(/\/+$/, '') : undefined;
}

const join = (...parts: string[]) => parts.filter((p) => p !== '').join('/');
const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

export const artifactsApi = {
  async list(root: string, dir: string): Promise<ArtifactEntry[]> {
    const res = await get<{ files?: { path: string; is_dir: boolean; file_size?: number }[] }>(BASE, { path: join(root, dir) });
    return (res.files ?? [])
      .map((f) => ({ name: f.path, path: join(dir, f.path), isDir: f.is_dir, ...(f.file_size !== undefined ? { size: f.file_size } : {}) }))
      .sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.name.localeCompare(b.name));
  },
  downloadUrl: (root: string, file: string) => `${BASE}/${encodePath(join(root, file))}`,
  head: (root: string, file: string, maxBytes: number) => requestBytes(`${BASE}/${encodePath(join(root, file))}`, maxBytes),
};
