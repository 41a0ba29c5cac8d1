import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/core/net.js';

/**
 * What a user gets from npm: the package packed (`npm pack` of the built checkout), installed into an empty folder
 * without dev dependencies (only the npm registry reachable), then `npx openexpert server` started from there and its
 * API, web UI and CLI used, and the server stopped. Once per file: packing and installing take a minute or more.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const INSTALL_MS = 20 * 60_000;

/** The child's environment: this process's, less what vitest and npm put there for themselves. */
const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|VITEST|NODE_OPTIONS$|OPENEXPERT_)/i.test(k)));
  return { ...env, ...extra };
};

function run(cmd: string, args: string[], cwd: string, env = cleanEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 * 2 ** 20, timeout: INSTALL_MS }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let work: string;
let app: string;
let tarball: string;
let server: ChildProcess;
let url: string;
let serverLog = '';
const figures: Record<string, number> = {};

beforeAll(async () => {
  for (const built of ['dist/src/cli/index.js', 'dist/web/index.html']) {
    if (!fs.existsSync(path.join(root, built))) throw new Error(`${built} is missing: run \`npm run build\` first (npm ci does)`);
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-tarball-'));
  app = path.join(work, 'app');
  fs.mkdirSync(app);
  // The checkout is already built; packing must not rebuild it under the other tests' feet.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root);
  expect(packed.code, packed.stderr).toBe(0);
  tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
  figures.tarballBytes = fs.statSync(tarball).size;

  // onnxruntime-node would fetch CUDA libraries from outside the npm registry; its CPU runtime is in the package.
  const started = Date.now();
  const installed = await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], app,
    cleanEnv({ ONNXRUNTIME_NODE_INSTALL: 'skip' }));
  figures.installMs = Date.now() - started;
  expect(installed.code, installed.stderr).toBe(0);

  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const booted = Date.now();
  server = spawn('npx', ['--no-install', 'openexpert', 'server', '--port', String(port), '--home', path.join(work, 'home'), '--log-level', 'warn'], {
    cwd: app, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  server.stdout!.on('data', (c: Buffer) => (serverLog += c.toString()));
  server.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()));
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the installed server exited with ${server.exitCode}: ${serverLog}`);
    if (Date.now() - booted > 120_000) throw new Error(`the installed server did not answer within 120 s: ${serverLog}`);
    const health = await fetch(`${url}/api/v1/health`).catch(() => undefined);
    if (health?.ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  figures.startMs = Date.now() - booted;
  // The figures the release notes quote.
  console.log(`installed tarball: ${JSON.stringify(figures)}`);
}, INSTALL_MS + 180_000);

afterAll(async () => {
  // Whatever of the group a failed test left running (the stop test ends it normally).
  if (server?.pid && server.exitCode === null && server.signalCode === null) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the package installed from its tarball', () => {
  it('holds only what runs: no test, build or type packages', () => {
    const modules = path.join(app, 'node_modules');
    for (const dev of ['vitest', 'typescript', 'vite', 'tsx', 'playwright-core', 's3rver', '@types/node', 'eslint', 'react']) {
      expect(fs.existsSync(path.join(modules, dev)), dev).toBe(false);
    }
    for (const runtime of ['fastify', 'better-sqlite3', '@duckdb/node-api', 'onnxruntime-node', 'kysely']) {
      expect(fs.existsSync(path.join(modules, runtime)), runtime).toBe(true);
    }
    expect(fs.existsSync(path.join(modules, 'openexpert/dist/web/index.html'))).toBe(true);
  });

  it('serves the API', async () => {
    const created = await fetch(`${url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'from-the-tarball' }),
    });
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { experiment_id: string }).experiment_id;
    const got = await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=from-the-tarball`);
    expect(((await got.json()) as { experiment: { experiment_id: string } }).experiment.experiment_id).toBe(id);
  });

  it('serves the web UI and its assets', async () => {
    const page = await fetch(`${url}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const html = await page.text();
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, html).toBeDefined();
    const asset = await fetch(`${url}${script!}`);
    expect([asset.status, (await asset.text()).length > 1000]).toEqual([200, true]);
    // A deep link loads the app too.
    expect((await fetch(`${url}/experiments`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('runs the CLI against the server', async () => {
    const listed = await run('npx', ['--no-install', 'openexpert', 'experiments', 'list', '--url', url, '--json'], app);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((e) => e.name)).toContain('from-the-tarball');
    const help = await run('npx', ['--no-install', 'openexpert', '--help'], app);
    expect(help.stdout).toContain('server');
  });

  it('stops on SIGTERM (sent to npx and the server it started, as a terminal does on Ctrl-C)', async () => {
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    process.kill(-server.pid!, 'SIGTERM');
    await exited;
    // Nothing of the group is left running, and the port is closed.
    const leftover = async () => run('pgrep', ['-g', String(server.pid)], app);
    for (let i = 0; i < 100 && (await leftover()).code === 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect((await leftover()).stdout).toBe('');
    expect(await fetch(`${url}/api/v1/health`).then(() => 'up', () => 'down')).toBe('down');
    expect(serverLog).not.toMatch(/error/i);
  }, 60_000);
});
