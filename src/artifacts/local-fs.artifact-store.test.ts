import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generatedBytes } from './generated-bytes.fixture.js';
import { LocalFsArtifactStore } from './local-fs.artifact-store.js';

const bodyOf = (text: string) => Readable.from([Buffer.from(text)]);
const rejected = { code: 'INVALID_PARAMETER_VALUE' };

describe('LocalFsArtifactStore on disk', () => {
  let base: string;
  let root: string;
  let outside: string;
  let store: LocalFsArtifactStore;

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'openexpert-local-store-'));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.txt'), 'secret');
    store = new LocalFsArtifactStore(root);
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('keeps files at their relative paths under the root and names the root as a file URI', async () => {
    await store.put('1/run/artifacts/model.pkl', bodyOf('pickle'));
    expect(await readFile(path.join(root, '1/run/artifacts/model.pkl'), 'utf8')).toBe('pickle');
    expect(store.uri).toBe(`file://${root}`);
  });

  it('rejects every operation through a symlink that leads out of the root', async () => {
    await symlink(outside, path.join(root, 'escape'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'secret-link'));
    for (const p of ['escape/secret.txt', 'escape/new.txt', 'escape']) {
      await expect(store.get(p)).rejects.toMatchObject(rejected);
      await expect(store.put(p, bodyOf('x'))).rejects.toMatchObject(rejected);
      await expect(store.stat(p)).rejects.toMatchObject(rejected);
      await expect(store.list(p)).rejects.toMatchObject(rejected);
      await expect(store.delete(p)).rejects.toMatchObject(rejected);
    }
    await expect(store.get('secret-link')).rejects.toMatchObject(rejected);
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(await store.list('')).toEqual([]);
  });

  it('rejects writes through a dangling symlink, which would create files wherever it points', async () => {
    await symlink(path.join(outside, 'not-yet'), path.join(root, 'dangling'));
    await expect(store.put('dangling/x.txt', bodyOf('x'))).rejects.toMatchObject(rejected);
    expect(await readdir(outside)).toEqual(['secret.txt']);
  });

  it('follows symlinks that stay inside the root', async () => {
    await store.put('real/a.txt', bodyOf('inside'));
    await symlink(path.join(root, 'real'), path.join(root, 'alias'));
    expect(await store.stat('alias/a.txt')).toEqual({ isDir: false, size: 6 });
    expect(await store.list('')).toEqual([
      { path: 'alias', isDir: true },
      { path: 'real', isDir: true },
    ]);
  });

  it('reserves its temp area and keeps it out of listings', async () => {
    await store.put('a.txt', bodyOf('a'));
    await expect(store.put('.tmp/x', bodyOf('x'))).rejects.toMatchObject(rejected);
    await expect(store.list('.tmp')).rejects.toMatchObject(rejected);
    expect(await store.list('')).toEqual([{ path: 'a.txt', isDir: false, size: 1 }]);
  });

  it('leaves the temp area empty once writes have finished, failed or been aborted', async () => {
    await store.put('ok.txt', bodyOf('ok'));
    await expect(store.put('bad.bin', generatedBytes(1 << 20, 1, { failAfter: 256 * 1024 }))).rejects.toThrow(/on purpose/);
    await expect(store.put('short.txt', bodyOf('abc'), { contentLength: 4 })).rejects.toMatchObject(rejected);
    const done = await store.createMultipartUpload('m.bin');
    await store.completeMultipartUpload('m.bin', done.uploadId, [
      await store.uploadPart('m.bin', done.uploadId, 1, bodyOf('m'), { contentLength: 1 }),
    ]);
    const aborted = await store.createMultipartUpload('n.bin');
    await store.uploadPart('n.bin', aborted.uploadId, 1, bodyOf('n'), { contentLength: 1 });
    await store.abortMultipartUpload('n.bin', aborted.uploadId);
    expect(await readdir(path.join(root, '.tmp'), { recursive: true })).toEqual(['uploads']);
    expect((await store.list('')).map((e) => e.path)).toEqual(['m.bin', 'ok.txt']);
  });

  it('removes directories a delete leaves empty, as S3 would', async () => {
    await store.put('a/b/c/file.txt', bodyOf('x'));
    await store.put('a/keep.txt', bodyOf('x'));
    await store.delete('a/b/c/file.txt');
    expect(await readdir(path.join(root, 'a'))).toEqual(['keep.txt']);
  });

  it('requires an absolute root', () => {
    expect(() => new LocalFsArtifactStore('relative/dir')).toThrow(expect.objectContaining(rejected));
  });
});
