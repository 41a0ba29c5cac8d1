/**
 * The MLflow client prints links into MLflow's web UI, which routes on the URL hash
 * (`http://host/#/experiments/1/runs/<id>`, `#/models/<name>/versions/<n>`). This maps such a hash to the
 * page of ours that shows the same thing, so a link printed by `mlflow.start_run()` or `log_model` opens it.
 */
const ROUTES: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^\/experiments\/[^/]+\/runs\/([^/?]+)(?:\/.*)?$/, (m) => `/runs/${m[1]}`],
  [/^\/experiments\/([^/?]+)(?:\/.*)?$/, (m) => `/experiments/${m[1]}`],
  [/^\/models\/([^/?]+)\/versions\/([^/?]+)(?:\/.*)?$/, (m) => `/models/${m[1]}/versions/${m[2]}`],
  [/^\/models\/([^/?]+)\/?$/, (m) => `/models/${m[1]}`],
  [/^\/models\/?$/, () => '/models'],
];

/** Our path for an MLflow UI hash (`#/experiments/1`), or undefined when the hash is not one of MLflow's routes. */
export function pathForMlflowHash(hash: string): string | undefined {
  if (!hash.startsWith('#/')) return undefined;
  const [route] = hash.slice(1).split('?');
  for (const [pattern, to] of ROUTES) {
    const m = pattern.exec(route!);
    if (m) return to(m);
  }
  return undefined;
}
