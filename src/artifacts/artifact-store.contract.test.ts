import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform, Writable, pipeline as pipelineCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from './artifact-store.js';
import { generatedBytes, generatedSha256 } from './generated-bytes.fixture.js';
import { LocalFsArtifactStore } from './local-fs.artifact-store.js';
import { S3ArtifactStore } from './s3.artifact-store.js';
import { startS3rver, type RunningS3rver } from './s3rver.fixture.js';

interface Backend {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A fresh, empty store for one test. */
  open(): Promise<ArtifactStore>;
  /** What s3rver leaves out of the S3 API; real S3 enforces these. */
  checksMultipartUploads: boolean;
}

const tempRoots: string[] = [];
let s3rver: RunningS3rver | undefined;

const backends: Backend[] = [
  {
    name: 'local-fs',
    start: async () => {},
    stop: async () => {
      await Promise.all(tempRoots.map((dir) => rm(dir, { recursive: true, force: true })));
    },
    open: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'openexpert-artifacts-'));
      tempRoots.push(dir);
      return new LocalFsArtifactStore(dir);
    },
    checksMultipartUploads: true,
  },
  {
    name: 's3 (s3rver)',
    start: async () => {
      s3rver = await startS3rver();
    },
    stop: async () => {
      await s3rver?.stop();
    },
    open: async () => {
      if (!s3rver) throw new Error('s3rver is not running');
      return new S3ArtifactStore(s3rver.bucket, `stores/${randomUUID()}`, s3rver.config);
    },
    checksMultipartUploads: false,
  },
];

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const bodyOf = (bytes: Buffer | string) => Readable.from([Buffer.from(bytes)]);
async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
async function read(store: ArtifactStore, file: string): Promise<Buffer> {
  return bytesOf((await store.get(file)).body);
}

/** Live memory (after a full collection) sampled as bytes pass, so a store that buffers whole files shows up. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
function memoryProbe() {
  collectGarbage();
  const live = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const baseline = live();
  let peak = baseline;
  return {
    sample() {
      collectGarbage();
      peak = Math.max(peak, live());
    },
    get growthMiB() {
      return (peak - baseline) / 2 ** 20;
    },
  };
}
function sampledEvery(bytes: number, stream: Readable, sample: () => void): Readable {
  let since = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      since += chunk.length;
      if (since >= bytes) {
        since = 0;
        sample();
      }
      done(null, chunk);
    },
  });
  return pipelineCallback(stream, tap, () => {});
}

const TRAVERSALS = ['../x', 'a/../../x', '/etc/passwd', '%2e%2e/x', 'a/%2F..%2F..', 'a\u0000b', '..\\x', 'a/%2e%2e/%2e%2e/x', 'C:/x'];
const ODD_NAMES = ['with space/hash#tag.txt', 'q?uery=1&x=2', '100%.txt', '%41%20literal', 'ünïcødé/数据 😀.bin'];
const MiB = 2 ** 20;

for (const backend of backends) {
  describe(`ArtifactStore on ${backend.name}`, () => {
    let store: ArtifactStore;
    beforeAll(() => backend.start());
    afterAll(() => backend.stop());

    const fresh = async () => {
      store = await backend.open();
      return store;
    };

    it('stores a file and returns its size and the sha256 of exactly its bytes', async () => {
      await fresh();
      const content = 'accuracy: 0.93\n';
      const stored = await store.put('model/metrics.yaml', bodyOf(content));
      expect(stored).toEqual({ path: 'model/metrics.yaml', size: Buffer.byteLength(content), sha256: sha256(content) });
      const { body, size } = await store.get('model/metrics.yaml');
      expect(size).toBe(stored.size);
      expect((await bytesOf(body)).toString()).toBe(content);
    });

    it('round-trips binary and empty files', async () => {
      await fresh();
      const binary = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256));
      expect(await store.put('bin/weights.bin', bodyOf(binary))).toMatchObject({ size: 1024, sha256: sha256(binary) });
      expect((await read(store, 'bin/weights.bin')).equals(binary)).toBe(true);

      expect(await store.put('empty', Readable.from([]))).toEqual({ path: 'empty', size: 0, sha256: sha256('') });
      expect(await store.get('empty')).toMatchObject({ size: 0 });
      expect(await read(store, 'empty')).toHaveLength(0);
    });

    it('replaces an existing file and normalises the path it reports', async () => {
      await fresh();
      await store.put('a/b.txt', bodyOf('first'));
      expect(await store.put('./a//b.txt', bodyOf('second'))).toMatchObject({ path: 'a/b.txt', size: 6 });
      expect((await read(store, 'a/b.txt')).toString()).toBe('second');
    });

    it('lists immediate children sorted, directories without sizes', async () => {
      await fresh();
      for (const file of ['a/b/c.txt', 'a/d.txt', 'a/C/e.txt', 'z.txt', 'a/b/deep/f.txt']) await store.put(file, bodyOf(file));
      expect(await store.list('')).toEqual([
        { path: 'a', isDir: true },
        { path: 'z.txt', isDir: false, size: 5 },
      ]);
      expect(await store.list('a')).toEqual([
        { path: 'C', isDir: true },
        { path: 'b', isDir: true },
        { path: 'd.txt', isDir: false, size: 7 },
      ]);
      expect(await store.list('a/b/')).toEqual([
        { path: 'c.txt', isDir: false, size: 9 },
        { path: 'deep', isDir: true },
      ]);
      expect(await store.list('missing')).toEqual([]);
      expect(await store.list('z.txt')).toEqual([]);
    });

    it('stats files, directories, the root and absent paths', async () => {
      await fresh();
      await store.put('dir/file.txt', bodyOf('12345'));
      expect(await store.stat('dir/file.txt')).toEqual({ isDir: false, size: 5 });
      expect(await store.stat('dir')).toEqual({ isDir: true });
      expect(await store.stat('')).toEqual({ isDir: true });
      expect(await store.stat('dir/nope')).toBeUndefined();
      expect(await store.stat('dir/file.txt/below')).toBeUndefined();
    });

    it('serves byte ranges with the whole size and rejects a range past the end', async () => {
      await fresh();
      await store.put('r.txt', bodyOf('0123456789'));
      const middle = await store.get('r.txt', { start: 2, end: 5 });
      expect(middle.size).toBe(10);
      expect((await bytesOf(middle.body)).toString()).toBe('2345');
      expect((await bytesOf((await store.get('r.txt', { start: 7 })).body)).toString()).toBe('789');
      expect((await bytesOf((await store.get('r.txt', { start: 8, end: 99 })).body)).toString()).toBe('89');
      await expect(store.get('r.txt', { start: 10 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(store.get('r.txt', { start: 5, end: 4 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    });

    it('deletes a file, and a directory with everything under it', async () => {
      await fresh();
      for (const file of ['keep.txt', 'run/a.txt', 'run/sub/b.txt', 'run/sub/c/d.txt']) await store.put(file, bodyOf(file));
      await store.delete('run/a.txt');
      expect(await store.stat('run/a.txt')).toBeUndefined();
      expect(await store.list('run')).toEqual([{ path: 'sub', isDir: true }]);

      await store.delete('run/sub');
      expect(await store.stat('run/sub/c/d.txt')).toBeUndefined();
      expect(await store.list('')).toEqual([{ path: 'keep.txt', isDir: false, size: 8 }]);
    });

    it('lists and deletes directories with more entries than one listing page', async () => {
      await fresh();
      const names = Array.from({ length: 1005 }, (_, i) => `f${String(i).padStart(4, '0')}`);
      for (let i = 0; i < names.length; i += 50)
        await Promise.all(names.slice(i, i + 50).map((name) => store.put(`many/${name}`, bodyOf(name))));
      const listed = await store.list('many');
      expect(listed.map((e) => e.path)).toEqual(names);
      await store.delete('many');
      expect(await store.list('')).toEqual([]);
    }, 120_000);

    it('answers RESOURCE_DOES_NOT_EXIST for absent files', async () => {
      await fresh();
      await expect(store.get('nothing/here.txt')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
      await expect(store.delete('nothing')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    });

    it('refuses to read a directory, delete the root, or mix up files and directories', async () => {
      await fresh();
      await store.put('d/f.txt', bodyOf('x'));
      await expect(store.get('d')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(store.delete('')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(store.put('d', bodyOf('x'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(store.put('d/f.txt/g', bodyOf('x'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      expect(await store.list('d')).toEqual([{ path: 'f.txt', isDir: false, size: 1 }]);
    });

    it.each(TRAVERSALS)('rejects the traversal %j in every operation, naming it', async (bad) => {
      await fresh();
      const named = { code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining(JSON.stringify(bad)) };
      await expect(store.put(bad, bodyOf('x'))).rejects.toMatchObject(named);
      await expect(store.get(bad)).rejects.toMatchObject(named);
      await expect(store.stat(bad)).rejects.toMatchObject(named);
      await expect(store.list(bad)).rejects.toMatchObject(named);
      await expect(store.delete(bad)).rejects.toMatchObject(named);
      await expect(store.createMultipartUpload(bad)).rejects.toMatchObject(named);
      expect(await store.list('')).toEqual([]);
    });

    it.each(ODD_NAMES)('round-trips the name %j', async (name) => {
      await fresh();
      const stored = await store.put(name, bodyOf(name));
      expect(stored.path).toBe(name);
      expect((await read(store, name)).toString()).toBe(name);
      const [first] = name.split('/');
      expect((await store.list('')).map((e) => e.path)).toEqual([first]);
      await store.delete(name);
      expect(await store.list('')).toEqual([]);
    });

    it.each([
      ['before any part is complete', 100 * 1024],
      ['after whole parts have gone out', 20 * MiB],
    ])('leaves nothing behind when the upload stream fails %s', async (_when, failAfter) => {
      await fresh();
      await expect(store.put('run/model.bin', generatedBytes(64 * MiB, 7, { failAfter }))).rejects.toThrow(/on purpose/);
      expect(await store.stat('run/model.bin')).toBeUndefined();
      expect(await store.list('')).toEqual([]);
      await expect(store.get('run/model.bin')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    });

    it('rejects a body that does not match its stated length and stores nothing', async () => {
      await fresh();
      await expect(store.put('short', bodyOf('12345'), { contentLength: 10 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      await expect(store.put('long', bodyOf('12345'), { contentLength: 3 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      expect(await store.list('')).toEqual([]);
      expect(await store.put('exact', bodyOf('12345'), { contentLength: 5 })).toMatchObject({ size: 5 });
    });

    it('streams 64 MiB up and down with memory that stays well below the file size', async () => {
      await fresh();
      const size = 64 * MiB;
      const expected = await generatedSha256(size, 42);

      const upload = memoryProbe();
      const stored = await store.put('big/blob.bin', sampledEvery(4 * MiB, generatedBytes(size, 42), upload.sample));
      expect(stored).toMatchObject({ size, sha256: expected });

      const download = memoryProbe();
      const { body } = await store.get('big/blob.bin');
      const hash = createHash('sha256');
      await pipeline(
        sampledEvery(4 * MiB, body, download.sample),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            done();
          },
        }),
      );
      expect(hash.digest('hex')).toBe(expected);

      expect(upload.growthMiB).toBeLessThan(32);
      expect(download.growthMiB).toBeLessThan(16);
    }, 120_000);

    describe('multipart uploads', () => {
      const part1 = Buffer.alloc(5 * MiB, 'a');
      const part2 = Buffer.from('tail');

      it('joins uploaded parts into one file only when completed', async () => {
        await fresh();
        const { uploadId } = await store.createMultipartUpload('mpu/model.bin');
        const second = await store.uploadPart('mpu/model.bin', uploadId, 2, bodyOf(part2), { contentLength: part2.length });
        const first = await store.uploadPart('mpu/model.bin', uploadId, 1, bodyOf(part1), { contentLength: part1.length });
        expect(await store.stat('mpu/model.bin')).toBeUndefined();
        expect(await store.list('')).toEqual([]);

        const whole = Buffer.concat([part1, part2]);
        expect(await store.completeMultipartUpload('mpu/model.bin', uploadId, [first, second])).toEqual({
          path: 'mpu/model.bin',
          size: whole.length,
          sha256: sha256(whole),
        });
        expect(sha256(await read(store, 'mpu/model.bin'))).toBe(sha256(whole));
      });

      it('rejects a part whose body does not match its length', async () => {
        await fresh();
        const { uploadId } = await store.createMultipartUpload('p.bin');
        await expect(store.uploadPart('p.bin', uploadId, 1, bodyOf('abc'), { contentLength: 4 })).rejects.toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
        });
        await expect(store.uploadPart('p.bin', uploadId, 0, bodyOf('abc'), { contentLength: 3 })).rejects.toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
        });
      });

      it('validates the part list of a completion', async () => {
        await fresh();
        const { uploadId } = await store.createMultipartUpload('p.bin');
        const part = await store.uploadPart('p.bin', uploadId, 1, bodyOf('abc'), { contentLength: 3 });
        for (const parts of [[], [part, part], [{ partNumber: 1, etag: '' }]])
          await expect(store.completeMultipartUpload('p.bin', uploadId, parts)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
      });

      it.runIf(backend.checksMultipartUploads)('discards aborted uploads and knows uploads only by id and path', async () => {
        await fresh();
        const { uploadId } = await store.createMultipartUpload('p.bin');
        const part = await store.uploadPart('p.bin', uploadId, 1, bodyOf('abc'), { contentLength: 3 });
        await expect(store.uploadPart('other.bin', uploadId, 1, bodyOf('abc'), { contentLength: 3 })).rejects.toMatchObject({
          code: 'RESOURCE_DOES_NOT_EXIST',
        });
        await expect(store.completeMultipartUpload('p.bin', uploadId, [{ partNumber: 1, etag: 'f'.repeat(64) }])).rejects.toMatchObject({
          code: 'INVALID_PARAMETER_VALUE',
        });
        await store.abortMultipartUpload('p.bin', uploadId);
        await expect(store.completeMultipartUpload('p.bin', uploadId, [part])).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
        await expect(store.abortMultipartUpload('p.bin', uploadId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
        await expect(store.uploadPart('p.bin', 'no-such-upload', 1, bodyOf('a'), { contentLength: 1 })).rejects.toMatchObject({
          code: 'RESOURCE_DOES_NOT_EXIST',
        });
        expect(await store.list('')).toEqual([]);
      });
    });
  });
}
