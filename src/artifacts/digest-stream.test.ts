import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestStream } from './digest-stream.js';
import { generatedBytes } from './generated-bytes.fixture.js';

const MiB = 2 ** 20;
const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });

async function digestOf(source: Readable, expectedLength?: number) {
  const digest = new DigestStream('test', expectedLength);
  await pipeline(source, digest, sink());
  return digest.digest;
}

async function reference(source: Readable) {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

describe('DigestStream', () => {
  it('agrees with node:crypto whatever the chunking, across batch and window boundaries', async () => {
    const sizes = [0, 1, MiB - 1, MiB, MiB + 1, 9 * MiB + 12_345];
    for (const size of sizes) expect(await digestOf(generatedBytes(size, size + 1))).toEqual(await reference(generatedBytes(size, size + 1)));
    const odd = [Buffer.alloc(3 * MiB, 1), Buffer.alloc(1), Buffer.alloc(700 * 1024, 2), Buffer.alloc(5 * MiB, 3)];
    expect(await digestOf(Readable.from(odd))).toEqual(await reference(Readable.from(odd)));
  });

  it('keeps concurrent streams apart', async () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const got = await Promise.all(seeds.map((seed) => digestOf(generatedBytes(3 * MiB + seed, seed))));
    const want = await Promise.all(seeds.map((seed) => reference(generatedBytes(3 * MiB + seed, seed))));
    expect(got).toEqual(want);
  });

  it('fails the stream on a length other than the stated one', async () => {
    await expect(digestOf(Readable.from([Buffer.from('abc')]), 4)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(digestOf(Readable.from([Buffer.from('abcde')]), 4)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect(await digestOf(Readable.from([Buffer.from('abcd')]), 4)).toMatchObject({ size: 4 });
  });

  it('still hashes correctly after streams that failed midway', async () => {
    await expect(digestOf(generatedBytes(8 * MiB, 9, { failAfter: 3 * MiB }))).rejects.toThrow(/on purpose/);
    expect(await digestOf(generatedBytes(2 * MiB, 10))).toEqual(await reference(generatedBytes(2 * MiB, 10)));
  });
});
