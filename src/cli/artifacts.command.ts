import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { pullStream } from '../artifacts/pull-stream.js';
import { OpenExpertError } from '../sdk/index.js';
import { client, printJson, printTable } from './output.js';
import { cliToken } from './credentials.js';

const PROXY = '/api/2.0/mlflow-artifacts/artifacts';
const SCHEME = 'mlflow-artifacts:';
/** Below this a progress line would only flicker. */
const PROGRESS_MIN_BYTES = 16 * 2 ** 20;

interface Entry {
  readonly path: string;
  readonly isDir: boolean;
  readonly size?: number;
}

/** Where one run's artifacts live behind the proxy, and how to reach them. */
interface Target {
  readonly base: string;
  readonly root: string;
  readonly headers: Record<string, string>;
}

const join = (...parts: (string | undefined)[]) => parts.map((p) => (p ?? '').replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

async function target(opts: { url?: string }, runId: string): Promise<Target> {
  const oe = client(opts);
  const run = await oe.runs.get(runId);
  const uri = run.info.artifactUri;
  // Runs on a direct store (s3://, file://) are not reachable through this server's proxy.
  if (!uri.startsWith(SCHEME)) throw new OpenExpertError('INVALID_STATE', 0, `Run '${runId}' stores artifacts at '${uri}', not behind the server's artifact proxy`);
  const token = cliToken(oe.url);
  return { base: oe.url, root: join(uri.slice(SCHEME.length)), headers: token ? { authorization: `Bearer ${token}` } : {} };
}

async function failure(res: Response, what: string): Promise<OpenExpertError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof body.error_code === 'string') return new OpenExpertError(body.error_code, res.status, typeof body.message === 'string' ? body.message : what);
  } catch {
    // not JSON: fall through to the status
  }
  return new OpenExpertError(res.status === 404 ? 'RESOURCE_DOES_NOT_EXIST' : 'INTERNAL_ERROR', res.status, `${what}: HTTP ${res.status}`);
}

/** One directory level; names come back relative to the run's artifact root. */
async function list(t: Target, dir: string): Promise<Entry[]> {
  const res = await fetch(`${t.base}${PROXY}?path=${encodeURIComponent(join(t.root, dir))}`, { headers: t.headers });
  if (!res.ok) throw await failure(res, `Listing '${dir}' failed`);
  const body = (await res.json()) as { files?: { path: string; is_dir: boolean; file_size?: number }[] };
  return (body.files ?? []).map((f) => ({ path: join(dir, f.path), isDir: f.is_dir, ...(f.is_dir ? {} : { size: f.file_size }) }));
}

function progress(label: string, total: number): Transform {
  const tty = process.stderr.isTTY && total >= PROGRESS_MIN_BYTES;
  let done = 0;
  let shown = -1;
  const show = () => {
    const pct = Math.floor((done / total) * 100);
    if (pct === shown) return;
    shown = pct;
    process.stderr.write(`\r${label}  ${(done / 2 ** 20).toFixed(0)}/${(total / 2 ** 20).toFixed(0)} MiB  ${pct}%`);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, next) {
      done += chunk.length;
      if (tty) show();
      next(null, chunk);
    },
    flush(next) {
      if (tty) process.stderr.write('\n');
      next();
    },
  });
}

/** Streams one file to disk and checks it against the sha256 the server recorded at upload. */
async function download(t: Target, artifact: string, dest: string): Promise<{ path: string; dest: string; size: number; sha256: string }> {
  const res = await fetch(`${t.base}${PROXY}/${encodePath(join(t.root, artifact))}`, { headers: t.headers });
  if (!res.ok || !res.body) throw await failure(res, `Downloading '${artifact}' failed`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const hash = createHash('sha256');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      hash.update(chunk);
      size += chunk.length;
      next(null, chunk);
    },
  });
  await mkdir(path.dirname(dest), { recursive: true });
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), hashing, progress(artifact, total), createWriteStream(dest));
  const sha256 = hash.digest('hex');
  const recorded = res.headers.get('x-artifact-sha256');
  if (recorded && recorded !== sha256) throw new OpenExpertError('INTERNAL_ERROR', res.status, `'${artifact}' arrived with sha256 ${sha256}, the server recorded ${recorded}`);
  return { path: artifact, dest, size, sha256 };
}

async function upload(t: Target, file: string, artifact: string, size: number): Promise<{ path: string; size: number }> {
  const init: RequestInit & { duplex: 'half' } = {
    method: 'PUT',
    headers: { ...t.headers, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: pullStream(createReadStream(file).pipe(progress(artifact, size))),
    duplex: 'half',
  };
  const res = await fetch(`${t.base}${PROXY}/${encodePath(join(t.root, artifact))}`, init);
  if (!res.ok) throw await failure(res, `Uploading '${artifact}' failed`);
  await res.body?.cancel();
  return { path: artifact, size };
}

async function* walk(dir: string, rel = ''): AsyncGenerator<{ file: string; rel: string }> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(file, join(rel, entry.name));
    else if (entry.isFile()) yield { file, rel: join(rel, entry.name) };
  }
}

async function* walkRemote(t: Target, dir: string): AsyncGenerator<Entry> {
  for (const entry of await list(t, dir)) {
    if (entry.isDir) yield* walkRemote(t, entry.path);
    else yield entry;
  }
}

const size = (n: number | undefined) => (n === undefined ? '' : n);

export function registerArtifactsCommand(program: Command): void {
  const artifacts = program.command('artifacts').description("List, download and upload a run's artifacts through the server");

  artifacts
    .command('ls <runId> [path]')
    .description('List one directory of a run\'s artifacts')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (runId: string, dir: string | undefined, opts: { url?: string; json?: boolean }) => {
      const entries = await list(await target(opts, runId), join(dir));
      if (opts.json) return printJson(entries);
      printTable(entries, [
        { header: 'PATH', value: (e) => (e.isDir ? `${e.path}/` : e.path) },
        { header: 'SIZE', value: (e) => size(e.size) },
      ]);
    });

  artifacts
    .command('get <runId> <path>')
    .description('Download a file or a whole directory')
    .option('-o, --output <dest>', 'where to write it (default: its name in the current directory)')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (runId: string, artifact: string, opts: { url?: string; json?: boolean; output?: string }) => {
      const t = await target(opts, runId);
      const wanted = join(artifact);
      const dest = path.resolve(opts.output ?? (path.posix.basename(wanted) || '.'));
      // A directory lists its children; a file (or nothing) lists empty, and the GET tells which.
      const children = wanted ? await list(t, wanted) : [];
      const got = [];
      if (children.length > 0 || !wanted) {
        for await (const entry of walkRemote(t, wanted)) {
          got.push(await download(t, entry.path, path.join(dest, ...path.posix.relative(wanted, entry.path).split('/'))));
        }
      } else {
        const isDir = await stat(dest).then((s) => s.isDirectory(), () => false);
        got.push(await download(t, wanted, isDir ? path.join(dest, path.posix.basename(wanted)) : dest));
      }
      if (opts.json) return printJson(got);
      printTable(got, [
        { header: 'PATH', value: (g) => g.path },
        { header: 'SIZE', value: (g) => g.size },
        { header: 'SHA256', value: (g) => g.sha256 },
        { header: 'SAVED TO', value: (g) => path.relative(process.cwd(), g.dest) || '.' },
      ]);
    });

  artifacts
    .command('put <runId> <local> [artifactPath]')
    .description('Upload a file (as <artifactPath>/<name>) or a directory\'s contents (under <artifactPath>)')
    .option('--url <url>', 'server URL')
    .option('--json', 'print JSON')
    .action(async (runId: string, local: string, artifactPath: string | undefined, opts: { url?: string; json?: boolean }) => {
      const info = await stat(local).catch(() => {
        throw new OpenExpertError('INVALID_PARAMETER_VALUE', 0, `No such file or directory: '${local}'`);
      });
      const t = await target(opts, runId);
      const put = [];
      if (info.isDirectory()) {
        for await (const f of walk(local)) put.push(await upload(t, f.file, join(artifactPath, f.rel), (await stat(f.file)).size));
      } else {
        put.push(await upload(t, local, join(artifactPath, path.basename(local)), info.size));
      }
      if (opts.json) return printJson(put);
      printTable(put, [
        { header: 'PATH', value: (p) => p.path },
        { header: 'SIZE', value: (p) => p.size },
      ]);
    });
}
