import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import cliProgress from 'cli-progress';
import { clientUrl } from '../config/config.js';
import { invalid, isDomainError } from '../core/errors.js';
import type { DatasetFile } from '../domain/datasets/types.js';
import type { Common } from './models.command.js';
import { cliToken } from './credentials.js';

/** Below this, transfers are quick enough that a bar would only flicker. */
const PROGRESS_FROM_BYTES = 8 * 1024 * 1024;

/** `--user` (auth off), else the bearer token of OPENEXPERT_TOKEN or MLFLOW_TRACKING_TOKEN, or the one `openexpert login` stored. */
export function authHeaders(opts: Common): Record<string, string> {
  if (opts.user) return { authorization: `Basic ${Buffer.from(`${opts.user}:`).toString('base64')}` };
  const token = cliToken(clientUrl(opts.url));
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A bar on stderr for large transfers (cli-progress draws only on a terminal, so scripts see nothing). */
export function progress(title: string, total: number): { counter: () => Transform; stop: () => void } {
  const bar = total >= PROGRESS_FROM_BYTES ? new cliProgress.SingleBar({ format: `${title} [{bar}] {percentage}% {value}/{total} MB | ETA {eta_formatted}`, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  let done = 0;
  bar?.start(Math.ceil(total / 1e6), 0);
  return {
    counter: () =>
      new Transform({
        transform(chunk: Buffer, _enc, next) {
          done += chunk.length;
          bar?.update(Math.floor(done / 1e6));
          next(null, chunk);
        },
      }),
    stop: () => bar?.stop(),
  };
}

/**
 * A file, or every file under a folder, with POSIX paths relative to what was named. Symlinks are followed
 * as DVC does (a linked folder is walked; a link back into its own ancestors is refused), or, with
 * `followSymlinks: false`, refused with their names; nothing is skipped silently.
 */
export function collectFiles(target: string, options: { followSymlinks?: boolean } = {}): { path: string; absolute: string; size: number }[] {
  const follow = options.followSymlinks ?? true;
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) throw invalid(`No such file or folder '${target}'`);
  if (stat.isFile()) return [{ path: path.basename(target), absolute: target, size: stat.size }];
  const files: { path: string; absolute: string; size: number }[] = [];
  const links: string[] = [];
  const relative = (absolute: string) => path.relative(target, absolute).split(path.sep).join('/');
  const walk = (dir: string, ancestors: ReadonlySet<string>) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const absolute = path.join(dir, entry.name);
      let kind: fs.Stats | fs.Dirent = entry;
      if (entry.isSymbolicLink()) {
        if (!follow) {
          links.push(relative(absolute));
          continue;
        }
        const resolved = fs.statSync(absolute, { throwIfNoEntry: false });
        if (!resolved) throw invalid(`Symlink '${relative(absolute)}' points to '${fs.readlinkSync(absolute)}', which does not exist`);
        kind = resolved;
      }
      if (kind.isDirectory()) {
        const real = fs.realpathSync(absolute);
        if (ancestors.has(real)) throw invalid(`Symlink '${relative(absolute)}' leads back into a folder that contains it; remove it or add with --no-follow-symlinks`);
        walk(absolute, new Set([...ancestors, real]));
      } else if (kind.isFile()) {
        files.push({ path: relative(absolute), absolute, size: fs.statSync(absolute).size });
      } else {
        throw invalid(`'${relative(absolute)}' is not a regular file (a socket, pipe or device); move it out of the folder`);
      }
    }
  };
  walk(target, new Set([fs.realpathSync(target)]));
  if (links.length > 0) throw invalid(`Not following symlinks (--no-follow-symlinks): ${links.map((l) => `'${l}'`).join(', ')}; add without the flag to include what they point to, or remove them`);
  return files;
}

/** sha256 of each file, read as a stream. */
export async function hashFiles(files: readonly { path: string; absolute: string; size: number }[]): Promise<DatasetFile[]> {
  const bar = progress('hashing  ', files.reduce((a, f) => a + f.size, 0));
  try {
    const hashed: DatasetFile[] = [];
    for (const f of files) {
      const hash = createHash('sha256');
      await pipeline(fs.createReadStream(f.absolute, { highWaterMark: 1 << 20 }), bar.counter(), hash);
      hashed.push({ path: f.path, size: f.size, sha256: hash.digest('hex') });
    }
    return hashed;
  } finally {
    bar.stop();
  }
}

/**
 * Sends a file as a streamed body (fetch cannot announce a streamed body's length), PUT as octet-stream unless
 * told otherwise; resolves with the reply's JSON.
 */
export function putFile(
  opts: Common, urlPath: string, file: string, size: number, counter: Transform, send: { method?: 'PUT' | 'POST'; contentType?: string } = {},
): Promise<unknown> {
  const url = new URL(clientUrl(opts.url) + urlPath);
  const request = (url.protocol === 'https:' ? https : http).request(url, {
    method: send.method ?? 'PUT',
    headers: { ...authHeaders(opts), 'content-type': send.contentType ?? 'application/octet-stream', 'content-length': String(size) },
  });
  const answered = new Promise<unknown>((resolve, reject) => {
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if ((res.statusCode ?? 500) < 300) return resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { error?: { code?: string; message?: string } };
        reject(new Error(`${body.error?.code ?? `HTTP ${res.statusCode}`}: ${body.error?.message ?? 'upload failed'}`));
      });
      res.on('error', reject);
    });
    request.on('error', reject);
  });
  return Promise.all([pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), counter, request), answered]).then(([, reply]) => reply);
}

/**
 * Downloads a file to `out`, hashing it on the way; a digest that differs from the one the version records
 * (a changed stored copy, or a broken transfer) leaves nothing at `out`.
 */
export async function getFile(opts: Common, urlPath: string, file: DatasetFile, owner: string, out: string, counter: Transform): Promise<void> {
  const res = await fetch(clientUrl(opts.url) + urlPath, { headers: authHeaders(opts) });
  if (!res.ok || !res.body) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    throw new Error(`${body.error?.code ?? `HTTP ${res.status}`}: ${body.error?.message ?? res.statusText}`);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const partial = `${out}.part`;
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, next) {
      hash.update(chunk);
      next(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as WebReadableStream), counter, hashing, fs.createWriteStream(partial));
    if (hash.digest('hex') !== file.sha256) throw invalid(`File '${file.path}' of '${owner}' does not match its digest ${file.sha256}: the stored copy changed or the transfer broke; nothing was written`);
    fs.renameSync(partial, out);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    if (isDomainError(err)) throw err;
    throw invalid(`File '${file.path}' of '${owner}' could not be downloaded (${(err as Error).message}); it may no longer match its digest ${file.sha256}; nothing was written`);
  }
}
