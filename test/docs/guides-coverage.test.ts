import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { groupOf } from '../../src/api/surface.js';
import { buildProgram } from '../../src/cli/program.js';
import { startAuthApp } from '../support/auth-app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The README and the guides; not the generated CLI reference, which lists every command by construction. */
const guides = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md') && f !== 'cli.md').map((f) => `docs/${f}`)]
  .map((file) => ({ file, text: fs.readFileSync(path.join(root, file), 'utf8') }));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the guides cover every command and every route group', () => {
  it('show every top-level CLI command as it is typed', () => {
    const commands = buildProgram().commands.map((c) => c.name());
    expect(commands.length).toBeGreaterThan(20);
    const missing = commands.filter((name) => !guides.some((g) => new RegExp(`\\bopenexpert ${escape(name)}(?![\\w-])`).test(g.text)));
    expect(missing, 'commands no guide shows (add an example to the guide of their module)').toEqual([]);
  });

  it('name every group of /api/v1 routes the server registers (auth on, so all of them)', async () => {
    const groups = new Set<string>();
    const app = await startAuthApp({}, (_method, url) => {
      if (url.startsWith('/api/v1/')) groups.add(groupOf(url.slice('/api/v1'.length)));
    });
    await app.close();
    expect(groups.size).toBeGreaterThan(20);
    // Either the full path, or in a guide about /api/v1 a request written as `METHOD /group…`.
    const named = (group: string) => guides.some((g) =>
      new RegExp(`/api/v1/${escape(group)}(?![\\w-])`).test(g.text)
      || (g.text.includes('/api/v1') && new RegExp(`\\b(GET|POST|PUT|PATCH|DELETE) /${escape(group)}(?![\\w-])`).test(g.text)));
    expect([...groups].filter((group) => !named(group)).sort(), 'route groups no guide names').toEqual([]);
  }, 120_000);
});
