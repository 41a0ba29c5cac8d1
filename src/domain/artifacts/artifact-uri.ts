import { invalid } from '../../core/errors.js';

/**
 * Where an `mlflow-artifacts:` URI points inside the server's artifact root. MLflow writes both
 * `mlflow-artifacts:/1/abc/artifacts` and `mlflow-artifacts://host:port/1/abc/artifacts`.
 */
export function artifactPathOf(uri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
  if (!m) throw invalid(`Unsupported artifact URI '${uri}': expected mlflow-artifacts:/<path>`);
  return m[1]!.replace(/\/+$/, '');
}

export const joinArtifactPath = (...parts: string[]): string => parts.filter((p) => p !== '').join('/').replace(/\/{2,}/g, '/');

/** Artifacts live under `<experiment id>/…`; permissions follow the experiment. */
export function experimentOfPath(path: string): string | undefined {
  const first = path.split('/')[0] ?? '';
  return /^\d+$/.test(first) ? first : undefined;
}
