import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README and the guides describe the product on their own: a reader of a clone (or of the package) has no
 * files beside the repository, so a path that leaves it, or a link to a file that is not there, is a dead end.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const guides = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Relative Markdown link targets (`docs/cli.md`), and paths that `code` spans name relative to the file (`../x`). */
const linkTargets = (text: string) => [...text.matchAll(/\]\(([^)#\s]+)[^)]*\)/g)].map((m) => m[1]!).filter((p) => !/^[a-z]+:/i.test(p));
const codePaths = (text: string) => [...text.matchAll(/`(\.{1,2}\/[^`\s]+)`/g)].map((m) => m[1]!);

describe('documentation stays inside the repository', () => {
  it.each(guides)('%s names no file outside the repository and links only to files that exist', (guide) => {
    const text = fs.readFileSync(path.join(ROOT, guide), 'utf8');
    expect(text).not.toMatch(/\/work\/|shared\/(DESIGN|STYLE|MLFLOW-WIRE|REFERENCE-SEMANTICS)/);
    const resolve = (ref: string) => path.resolve(path.dirname(path.join(ROOT, guide)), ref);
    for (const ref of [...linkTargets(text), ...codePaths(text)]) {
      expect(resolve(ref).startsWith(ROOT + path.sep), `${guide} refers to ${ref}, outside the repository`).toBe(true);
    }
    for (const ref of linkTargets(text)) expect(fs.existsSync(resolve(ref)), `${guide} links to ${ref}, which is not there`).toBe(true);
  });
});
