import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

/** MLflow's reserved tags describing who ran what, as its Python client fills them. */
export const SOURCE_TAGS = {
  user: 'mlflow.user',
  sourceName: 'mlflow.source.name',
  sourceType: 'mlflow.source.type',
  gitCommit: 'mlflow.source.git.commit',
} as const;

function userName(): string | undefined {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // no passwd entry for this uid, as in some containers
  }
  return process.env.USER || process.env.USERNAME || undefined;
}

/** The entry script: relative to the working directory when it lies inside it, its base name otherwise. */
function sourceName(script: string | undefined): string | undefined {
  if (!script) return undefined;
  const relative = path.relative(process.cwd(), script);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.basename(script);
}

function gitCommit(script: string | undefined): string | undefined {
  try {
    const cwd = script ? path.dirname(path.resolve(script)) : process.cwd();
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2_000, encoding: 'utf8' }).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
  } catch {
    // not a git checkout, or no git installed
    return undefined;
  }
}

/** The automatic tags for a new run; a tag the caller already gave is neither computed nor overwritten. */
export function sourceTags(given: Readonly<Record<string, string>>): Record<string, string> {
  const script = process.argv[1];
  const tags: Record<string, string> = {};
  const fill = (key: string, compute: () => string | undefined) => {
    if (key in given) return;
    const value = compute();
    if (value !== undefined) tags[key] = value;
  };
  fill(SOURCE_TAGS.user, userName);
  fill(SOURCE_TAGS.sourceName, () => sourceName(script));
  fill(SOURCE_TAGS.sourceType, () => 'LOCAL');
  fill(SOURCE_TAGS.gitCommit, () => gitCommit(script));
  return tags;
}
