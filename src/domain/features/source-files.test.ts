import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
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

  it('reads S3 sources only under the configured s3:// prefixes, with the bucket and prefix boundary respected', async () => {
    const asked: string[] = [];
    const s3 = (bucket: string, key: string) => {
      asked.push(`${bucket}/${key}`);
      return Promise.resolve(Readable.from(['user_id,event_timestamp\n']));
    };
    const readS3 = (roots: string[] | undefined, uri: string) =>
      sourceFiles({ dataset: none, s3, pathRoots: roots }).with({ kind: 's3', uri, timestampField: 'event_timestamp' }, async (files) => fs.readFileSync(files[0]!.local, 'utf8'));
    const roots = [allowed, 's3://features/exports'];
    expect(await readS3(roots, 's3://features/exports/users.csv')).toContain('user_id');
    expect(await readS3(['s3://whole-bucket'], 's3://whole-bucket/a/b.csv')).toContain('user_id');
    expect(await readS3(undefined, 's3://anything/x.csv')).toContain('user_id');
    for (const uri of ['s3://features/exports-private/x.csv', 's3://features/other.csv', 's3://secrets/exports/x.csv', 's3://whole-bucket-2/x.csv']) {
      const expected = uri.startsWith('s3://whole') ? 'outside the S3 prefixes' : 'outside the S3 prefixes this server reads feature sources from (--feature-source-roots: s3://features/exports)';
      await expect(readS3(uri.startsWith('s3://whole') ? ['s3://whole-bucket'] : roots, uri), uri).rejects.toThrow(expected);
    }
    await expect(readS3([allowed], 's3://features/exports/users.csv')).rejects.toThrow(/this server reads no S3 sources \(name s3:\/\/bucket\/prefix in --feature-source-roots/);
    await expect(sourceFiles({ dataset: none, s3, pathRoots: [] }).check({ kind: 's3', uri: 's3://features/exports/u.csv', timestampField: 't' })).rejects.toThrow('reads no S3 sources');
    // Nothing outside was fetched.
    expect(asked).toEqual(['features/exports/users.csv', 'whole-bucket/a/b.csv', 'anything/x.csv']);
  });

  it('defaults to nowhere with auth and anywhere without; a flag or the environment names folders', () => {
    const home = path.join(base, 'home');
    expect(loadConfig({ home, auth: true }, {}).featureSourceRoots).toEqual([]);
    expect(loadConfig({ home }, {}).featureSourceRoots).toBeUndefined();
    expect(loadConfig({ home, auth: true }, { OPENEXPERT_FEATURE_SOURCE_ROOTS: `${allowed}, /srv/features, s3://lake/features` }).featureSourceRoots).toEqual([allowed, '/srv/features', 's3://lake/features']);
    expect(() => loadConfig({ home, featureSourceRoots: 'relative/dir' }, {})).toThrow(/featureSourceRoots.*must be absolute folders or s3:\/\/bucket\/prefix URIs/);
  });
});
