import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { sourceFiles } from './source-files.js';

/**
 * A feature view's path source is read by the server with its own rights: with auth on, only from folders the
 * operator named, so a user who may define a view cannot read the server's database, keys or /etc through it.
 */
describe('path sources of feature views', () => {
  let base: string;
  let allowed: string;
  let secret: string;
  const none = () => Promise.reject(new Error('not used'));
  const read = (roots: string[] | undefined, p: string) =>
    sourceFiles({ dataset: none, s3: none, pathRoots: roots }).with({ kind: 'path', path: p, timestampField: 'event_timestamp' }, async (files) => fs.readFileSync(files[0]!.local, 'utf8'));

  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-source-roots-'));
    allowed = path.join(base, 'feature-data');
    fs.mkdirSync(allowed);
    fs.writeFileSync(path.join(allowed, 'stats.csv'), 'user_id,event_timestamp,x\n1,2024-01-01,1\n');
    secret = path.join(base, 'server-home.csv');
    fs.writeFileSync(secret, 'the server database\n');
    fs.symlinkSync(secret, path.join(allowed, 'link.csv'));
    // A sibling folder whose name starts with the allowed one's.
    fs.mkdirSync(`${allowed}-other`);
    fs.writeFileSync(path.join(`${allowed}-other`, 'x.csv'), 'other\n');
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('reads a file inside a configured folder', async () => {
    expect(await read([allowed], path.join(allowed, 'stats.csv'))).toContain('user_id');
    expect(await read(undefined, secret)).toBe('the server database\n');
  });

  it('refuses paths that leave the folders by .., by a symlink, or by a sibling with the same prefix', async () => {
    for (const p of [path.join(allowed, '..', 'server-home.csv'), path.join(allowed, 'link.csv'), path.join(`${allowed}-other`, 'x.csv'), '/etc/passwd']) {
      await expect(read([allowed], p), p).rejects.toThrow(`source path '${p}' is outside the folders this server reads feature sources from (--feature-source-roots: ${allowed})`);
    }
  });

  it('says the same for a file that does not exist outside, so errors cannot probe the disk', async () => {
    await expect(read([allowed], path.join(base, 'no-such.csv'))).rejects.toThrow('is outside the folders');
    await expect(read([allowed], path.join(allowed, 'no-such.csv'))).rejects.toThrow("cannot be read on the server");
  });

  it('reads no path at all when no folder is configured, and says how to allow some', async () => {
    await expect(read([], path.join(allowed, 'stats.csv'))).rejects.toThrow(/this server reads no path sources \(start it with --feature-source-roots <folders>/);
  });

  it('defaults to nowhere with auth and anywhere without; a flag or the environment names folders', () => {
    const home = path.join(base, 'home');
    expect(loadConfig({ home, auth: true }, {}).featureSourceRoots).toEqual([]);
    expect(loadConfig({ home }, {}).featureSourceRoots).toBeUndefined();
    expect(loadConfig({ home, auth: true }, { OPENEXPERT_FEATURE_SOURCE_ROOTS: `${allowed}, /srv/features` }).featureSourceRoots).toEqual([allowed, '/srv/features']);
    expect(() => loadConfig({ home, featureSourceRoots: 'relative/dir' }, {})).toThrow(/featureSourceRoots.*must be absolute folders/);
  });
});
