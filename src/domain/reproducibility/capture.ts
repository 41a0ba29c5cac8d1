import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * What the machine running a command can tell about it: the git checkout, lock files, interpreters and
 * hardware. Read on the client that runs the command (the server never sees the working directory).
 */
const run = promisify(execFile);

/** Output of a short-lived tool, or undefined when it is missing or fails. */
async function tool(cmd: string, args: readonly string[], cwd: string, timeout = 10_000): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, timeout, maxBuffer: 256 * 2 ** 20, encoding: 'utf8' });
    return (stdout || stderr).trim();
  } catch {
    return undefined;
  }
}

export interface GitState {
  readonly root: string;
  readonly commit: string;
  readonly remote?: string;
  readonly branch?: string;
  /** Tracked changes against HEAD plus untracked files that are not ignored, as one `git apply`-able patch. */
  readonly diff: string;
}

export async function gitState(cwd: string): Promise<GitState | undefined> {
  const root = await tool('git', ['rev-parse', '--show-toplevel'], cwd);
  const commit = root && (await tool('git', ['rev-parse', 'HEAD'], cwd));
  if (!root || !commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const remote = await tool('git', ['remote', 'get-url', 'origin'], root);
  const branch = await tool('git', ['symbolic-ref', '--short', '-q', 'HEAD'], root);
  const tracked = (await run('git', ['diff', 'HEAD', '--binary', '--no-color', '--no-ext-diff'], { cwd: root, maxBuffer: 1 << 30, encoding: 'utf8' })).stdout;
  const untracked = ((await tool('git', ['ls-files', '--others', '--exclude-standard', '-z'], root)) ?? '').split('\0').filter(Boolean);
  const added: string[] = [];
  for (const file of untracked) {
    // `git diff --no-index` exits 1 when the files differ, which is always here: its output is the patch.
    const patch = await run('git', ['diff', '--no-index', '--binary', '--no-color', '--no-ext-diff', '--', '/dev/null', file], { cwd: root, maxBuffer: 1 << 30, encoding: 'utf8' })
      .then((r) => r.stdout, (err: { stdout?: string }) => err.stdout ?? '');
    added.push(patch);
  }
  return { root, commit, ...(remote ? { remote } : {}), ...(branch ? { branch } : {}), diff: tracked + added.join('') };
}

/** Files that pin an environment, looked for in the working directory and the repository root. */
const LOCK_FILE = /^(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|requirements[\w.-]*\.txt|poetry\.lock|uv\.lock|Pipfile\.lock|pyproject\.toml|environment[\w.-]*\.ya?ml|conda-lock\.ya?ml|Dockerfile[\w.-]*|renv\.lock|Cargo\.lock|go\.sum)$/;

export function findLockFiles(dirs: readonly string[]): string[] {
  const found = new Set<string>();
  for (const dir of dirs) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile() && LOCK_FILE.test(entry.name)) found.add(path.join(dir, entry.name));
    }
  }
  return [...found].sort();
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Python's interpreter and installed packages, when the command runs Python: asked of the same interpreter, through
 * the same launcher (`uv run python …`, `conda run -n env python …` ask `uv run python -m pip freeze`).
 */
async function pythonFacts(command: readonly string[], cwd: string): Promise<{ version?: string; libraries: Record<string, string> }> {
  const at = command.findIndex((arg) => /(^|\/)python[\d.]*$/.test(arg));
  if (at < 0) return { libraries: {} };
  const [exe, ...launcher] = command.slice(0, at + 1) as [string, ...string[]];
  const version = await tool(exe, [...launcher, '--version'], cwd);
  const freeze = await tool(exe, [...launcher, '-m', 'pip', 'freeze', '--disable-pip-version-check'], cwd, 30_000);
  const libraries: Record<string, string> = {};
  for (const line of (freeze ?? '').split('\n')) {
    const m = /^([A-Za-z0-9_.-]+)==(.+)$/.exec(line.trim());
    if (m) libraries[m[1]!.toLowerCase()] = m[2]!;
  }
  return { ...(version ? { version: version.replace(/^Python\s+/, '') } : {}), libraries };
}

export async function environmentFacts(command: readonly string[], cwd: string) {
  const python = await pythonFacts(command, cwd);
  const interpreters: Record<string, string> = { node: process.versions.node };
  if (python.version) interpreters.python = python.version;
  return {
    os: { platform: os.platform(), release: os.release(), arch: os.arch() },
    interpreters,
    libraries: python.libraries,
  };
}

export function hardwareFacts() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model.trim() ?? 'unknown', memoryBytes: os.totalmem(), gpus: nvidiaGpus() };
}

/** NVIDIA GPUs as the driver lists them under /proc; other vendors are not recorded. */
function nvidiaGpus(): string[] {
  const dir = '/proc/driver/nvidia/gpus';
  try {
    return fs.readdirSync(dir).map((bus) => {
      const info = fs.readFileSync(path.join(dir, bus, 'information'), 'utf8');
      return /Model:\s*(.+)/.exec(info)?.[1]?.trim() ?? bus;
    });
  } catch {
    return [];
  }
}

/** Seeds the command was given: `--seed N`, `--random-seed=N` and the like on its command line, plus PYTHONHASHSEED. */
export function seedsOf(command: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const seeds: Record<string, string> = {};
  command.forEach((arg, i) => {
    const m = /^--?([\w-]*seed)(?:=(.*))?$/i.exec(arg);
    if (!m) return;
    const value = m[2] ?? command[i + 1];
    if (value !== undefined) seeds[m[1]!] = value;
  });
  if (env.PYTHONHASHSEED) seeds.PYTHONHASHSEED = env.PYTHONHASHSEED;
  return seeds;
}

/**
 * Parameters given on the command line: `--lr 0.01`, `--epochs=10`, `-n 5`. A flag followed by another flag (or
 * nothing) is a switch and reads as `true`; positional arguments are not parameters.
 */
export function paramsOf(command: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 1; i < command.length; i++) {
    const m = /^--?([A-Za-z][\w.-]*)(?:=(.*))?$/s.exec(command[i]!);
    if (!m) continue;
    if (m[2] !== undefined) params[m[1]!] = m[2];
    else if (i + 1 < command.length && !/^--?[A-Za-z]/.test(command[i + 1]!)) params[m[1]!] = command[++i]!;
    else params[m[1]!] = 'true';
  }
  return params;
}
