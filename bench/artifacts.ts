/**
 * Artifact store throughput: a generated file streamed into a store and back out, against a plain
 * `fs.copyFile` of the same file on the same disk. Run with
 * `npx tsx bench/artifacts.ts [sizeMB] [--rounds=N] [--no-s3]`;
 * prints JSON. The local store's upload includes its sha256 and the fsync that makes the write
 * durable; `copyFile` does neither, so it is the upper bound, not a like-for-like peer.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, open, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { ArtifactStore } from '../src/artifacts/artifact-store.js';
import { generatedBytes } from '../src/artifacts/generated-bytes.fixture.js';
import { LocalFsArtifactStore } from '../src/artifacts/local-fs.artifact-store.js';
import { S3ArtifactStore } from '../src/artifacts/s3.artifact-store.js';
import { startS3rver } from '../src/artifacts/s3rver.fixture.js';

export interface ArtifactsBenchOptions {
  /** File size in MiB; 1024 by default. */
  sizeMB?: number;
  /** Each figure is the median of this many runs (3 by default): single runs on a shared disk swing by 2–4×. */
  rounds?: number;
  /** Also stream through an S3 store backed by s3rver (a separate process on loopback), once. */
  s3?: boolean;
}

interface Transfer {
  uploadMBps: number;
  downloadMBps: number;
  peakRssMB: number;
}

export interface ArtifactsBenchResult extends Transfer {
  sizeMB: number;
  rounds: number;
  copyMBps: number;
  /** The slower direction through the local store over `copyFile`. */
  ratio: number;
  s3?: Transfer;
}

const MiB = 2 ** 20;
const round1 = (n: number) => Math.round(n * 10) / 10;

function rssSampler() {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return {
    stop() {
      clearInterval(timer);
      return round1(Math.max(peak, process.memoryUsage.rss()) / MiB);
    },
  };
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function transfer(store: ArtifactStore, source: string, size: number, expected: string, out: string): Promise<Transfer> {
  const rss = rssSampler();
  const key = 'bench/model.bin';
  let uploaded = '';
  const up = await timed(async () => {
    uploaded = (await store.put(key, createReadStream(source), { contentLength: size })).sha256;
  });
  const down = await timed(async () => {
    const { body } = await store.get(key);
    await pipeline(body, createWriteStream(out));
  });
  const peakRssMB = rss.stop();
  // Checked after the clock stops: the download's own cost is what is measured, not the check's.
  if (uploaded !== expected || (await sha256Of(out)) !== expected) throw new Error(`sha256 mismatch through ${store.uri}`);
  await rm(out, { force: true });
  return { uploadMBps: round1(size / MiB / up), downloadMBps: round1(size / MiB / down), peakRssMB };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function runArtifactsBench(opts: ArtifactsBenchOptions = {}): Promise<ArtifactsBenchResult> {
  const sizeMB = opts.sizeMB ?? 1024;
  const rounds = opts.rounds ?? 3;
  const size = sizeMB * MiB;
  const work = await mkdtemp(path.join(os.tmpdir(), 'openexpert-bench-artifacts-'));
  const source = path.join(work, 'source.bin');
  const out = path.join(work, 'out.bin');
  try {
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(generatedBytes(size, 2024), hashing, createWriteStream(source));
    // On disk before timing starts, so no run pays for writing back the source.
    await fsync(source);
    const expected = hash.digest('hex');

    const copies: number[] = [];
    const locals: Transfer[] = [];
    for (let round = 0; round < rounds; round++) {
      const copy = path.join(work, 'copy.bin');
      const seconds = await timed(() => copyFile(source, copy));
      if ((await stat(copy)).size !== size) throw new Error('copyFile produced a short file');
      await rm(copy);
      copies.push(sizeMB / seconds);
      const storeDir = path.join(work, 'store');
      locals.push(await transfer(new LocalFsArtifactStore(storeDir), source, size, expected, out));
      await rm(storeDir, { recursive: true, force: true });
    }

    let s3: Transfer | undefined;
    if (opts.s3) {
      const server = await startS3rver();
      try {
        s3 = await transfer(new S3ArtifactStore(server.bucket, 'bench', server.config), source, size, expected, out);
      } finally {
        await server.stop();
      }
    }

    const uploadMBps = median(locals.map((t) => t.uploadMBps));
    const downloadMBps = median(locals.map((t) => t.downloadMBps));
    const copyMBps = round1(median(copies));
    return {
      sizeMB,
      rounds,
      uploadMBps,
      downloadMBps,
      copyMBps,
      ratio: Math.round((Math.min(uploadMBps, downloadMBps) / copyMBps) * 100) / 100,
      peakRssMB: Math.max(...locals.map((t) => t.peakRssMB)),
      ...(s3 ? { s3 } : {}),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function fsync(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const sizeArg = args.find((a) => /^\d+$/.test(a));
  const roundsArg = args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length);
  const result = await runArtifactsBench({
    sizeMB: sizeArg ? Number(sizeArg) : undefined,
    rounds: roundsArg ? Number(roundsArg) : undefined,
    s3: !args.includes('--no-s3'),
  });
  console.log(JSON.stringify(result, null, 2));
}
