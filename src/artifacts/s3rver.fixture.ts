import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { S3Config } from './s3.artifact-store.js';

export interface RunningS3rver {
  bucket: string;
  config: S3Config;
  stop(): Promise<void>;
}

/**
 * Runs in a child process because s3rver signs ListObjectsV2 continuation tokens with DES, which
 * OpenSSL 3 only offers behind --openssl-legacy-provider; a separate process also keeps the
 * server's memory out of the memory measured in tests. The child exits when its stdin closes, so
 * it cannot outlive the test process.
 */
const CHILD = `
const [s3rverPath, directory, bucket] = process.argv.slice(1);
const S3rver = require(s3rverPath);
process.stdin.on('end', () => process.exit(0)).resume();
new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] })
  .run()
  .then(({ port }) => process.stdout.write(JSON.stringify({ port }) + '\\n'), (err) => { console.error(err); process.exit(1); });
`;

/** A real S3 HTTP server (s3rver) on a random loopback port, backed by a temp directory that `stop` removes. */
export async function startS3rver(bucket = 'bucket'): Promise<RunningS3rver> {
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const directory = await mkdtemp(path.join(os.tmpdir(), 'openexpert-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, s3rverPath, directory, bucket], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const [line] = (await Promise.race([
    once(createInterface({ input: child.stdout }), 'line'),
    exited.then(([code]) => {
      throw new Error(`s3rver exited with code ${String(code)} before listening`);
    }),
  ])) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return {
    bucket,
    config: {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    async stop() {
      child.stdin.end();
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
