import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { spawnServer, type ChildServer } from '../support/child-server.js';
import { cliArgv } from '../support/cli.js';
import { kindOf, outputMatches, parseGuide, type Snippet } from './snippets.js';

/**
 * Every fenced example in the README and in docs/ runs here, in the order the guide gives, against a server
 * this test starts for that guide (the real CLI in a child process, on its own data directory): shell with
 * bash, TypeScript bundled by esbuild, Python with python3 (MLflow-client examples only when `mlflow` is importable,
 * reported as skipped otherwise), HTTP requests sent, YAML and JSON parsed, expected outputs compared.
 * A guide opts an example out only with a visible reason (`<!-- skip: why -->`); see snippets.ts.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const guides = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const realNpx = execFileSync('bash', ['-c', 'command -v npx'], { encoding: 'utf8' }).trim();
// The MLflow client is rarely in the system Python; point OPENEXPERT_DOCS_PYTHON at a venv that has it.
const python = process.env.OPENEXPERT_DOCS_PYTHON ?? 'python3';
const mlflowImportable = (() => {
  try {
    execFileSync(python, ['-c', 'import mlflow'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const report = { executed: 0, skipped: [] as string[], optedOut: [] as string[] };

afterAll(() => {
  console.log(`executed docs: ${report.executed} examples run, ${report.skipped.length} skipped, ${report.optedOut.length} opted out`);
  for (const s of report.skipped) console.log(`  skipped   ${s}`);
  for (const s of report.optedOut) console.log(`  opted out ${s}`);
});

interface Finished {
  code: number;
  output: string;
}

function run(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<Finished> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { cwd: opts.cwd, env: opts.env, maxBuffer: 64 * 1024 * 1024, timeout: 170_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** `npx openexpert …` and `openexpert …` in a guide run this checkout's CLI (see cliArgv), as a user of a clone would. */
function writeShims(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const cli = cliArgv().map((a) => `"${a}"`).join(' ');
  fs.writeFileSync(path.join(dir, 'openexpert'), `#!/bin/sh\nexec ${cli} "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, 'npx'),
    `#!/bin/bash\n[ "$1" = --no-install ] && shift\nif [ "$1" = openexpert ]; then shift; exec "${path.join(dir, 'openexpert')}" "$@"; fi\nexec "${realNpx}" "$@"\n`,
    { mode: 0o755 },
  );
}

async function sendHttp(server: string, code: string): Promise<{ status: number; body: string }> {
  const [head = '', ...rest] = code.split(/\n\s*\n/);
  const [requestLine = '', ...headerLines] = head.trim().split('\n');
  const [method, target] = requestLine.trim().split(/\s+/);
  const headers: Record<string, string> = {};
  for (const h of headerLines) {
    const colon = h.indexOf(':');
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  const body = rest.join('\n\n').trim();
  const res = await fetch(new URL(target!, server), { method, headers, body: body === '' ? undefined : body });
  return { status: res.status, body: await res.text() };
}

for (const guide of guides) {
  const parsed = parseGuide(fs.readFileSync(path.join(root, guide), 'utf8'));
  const runnable = parsed.snippets.some((s) => s.directives.skip === undefined && (kindOf(s.lang) !== 'text' || s.directives.output !== undefined));
  if (!runnable) continue;

  describe(`examples in ${guide}`, () => {
    let server: ChildServer;
    let work: string;
    let env: NodeJS.ProcessEnv;
    const localize = (text: string) => text.replace(/http:\/\/(127\.0\.0\.1|localhost):5000/g, server.url);
    let last: Finished | undefined;

    beforeAll(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-docs-'));
      writeShims(path.join(work, '.bin'));
      const home = path.join(work, '.server');
      server = await spawnServer(['--home', home, ...parsed.serverFlags], parsed.env);
      env = {
        ...process.env,
        // Local commands (db backup, db migrate) act on the same data directory as the server.
        OPENEXPERT_HOME: home,
        ...parsed.env,
        PATH: `${path.join(work, '.bin')}:${process.env.PATH ?? ''}`,
        OPENEXPERT_URL: server.url,
        MLFLOW_TRACKING_URI: server.url,
      };
    });

    afterAll(async () => {
      await server?.stop();
      if (work) fs.rmSync(work, { recursive: true, force: true });
    });

    const where = (s: Snippet) => `${guide}:${s.line}`;
    // An output block shows what the example before it printed: when that example could not run, neither can the comparison.
    let previousSkipped = false;
    for (const snippet of parsed.snippets) {
      const skippedBefore = previousSkipped;
      previousSkipped = false;
      const kind = kindOf(snippet.lang);
      const { skip, file, output, expect: expectStatus, exit } = snippet.directives;
      if (skip !== undefined) {
        report.optedOut.push(`${where(snippet)} (${snippet.lang || 'text'}): ${skip}`);
        it.skip(`${where(snippet)} ${snippet.lang}: ${skip}`, () => {});
        continue;
      }
      if (kind === 'text' && output === undefined && file === undefined) continue; // prose, nothing to run
      if (output !== undefined && skippedBefore) {
        report.skipped.push(`${where(snippet)} (output): the example it shows was skipped`);
        it.skip(`${where(snippet)} output of a skipped example`, () => {});
        continue;
      }

      const needsMlflow = kind === 'python' && /\bimport mlflow|from mlflow\b/.test(snippet.code);
      if (needsMlflow && !mlflowImportable) {
        report.skipped.push(`${where(snippet)} (python): needs the MLflow client, not importable here`);
        it.skip(`${where(snippet)} python: needs the MLflow client (not importable here)`, () => {});
        previousSkipped = true;
        continue;
      }

      it(`${where(snippet)} ${snippet.lang || 'text'}`, { timeout: 180_000 }, async () => {
        const code = localize(snippet.code);
        if (file !== undefined) {
          const target = path.join(work, file);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, code);
        }
        if (output !== undefined) {
          expect(last, `${where(snippet)}: an output block must follow a shell example`).toBeDefined();
          expect(outputMatches(code, last!.output), `${where(snippet)}: printed\n${last!.output}\nexpected\n${code}`).toBe(true);
          report.executed++;
          return;
        }
        switch (kind) {
          case 'shell': {
            last = await run('bash', ['-euo', 'pipefail', '-c', code], { cwd: work, env });
            expect(last.code, `${where(snippet)} exited ${last.code}:\n${last.output}`).toBe(exit !== undefined ? Number(exit) : 0);
            break;
          }
          case 'typescript': {
            if (file !== undefined && !/\bawait\b|console\./.test(code)) break; // a module other examples import
            const script = path.join(work, `.snippet-${snippet.line}.mts`);
            fs.writeFileSync(script, code.replace(/(['"])openexpert\/sdk\1/g, JSON.stringify(path.join(root, 'src/sdk/index.ts'))));
            // Transpiled and bundled with the SDK by esbuild (what tsx runs too), once, instead of tsx loading and
            // transpiling the SDK's sources module by module in the child.
            const bundled = script.replace(/\.mts$/, '.mjs');
            await build({ entryPoints: [script], outfile: bundled, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent' });
            last = await run(process.execPath, [bundled], { cwd: work, env });
            expect(last.code, `${where(snippet)} exited ${last.code}:\n${last.output}`).toBe(0);
            break;
          }
          case 'python': {
            if (file !== undefined && !/__main__|print\(/.test(code)) break; // a module other examples import
            last = await run(python, ['-'], { cwd: work, env, input: code });
            expect(last.code, `${where(snippet)} exited ${last.code}:\n${last.output}`).toBe(0);
            break;
          }
          case 'http': {
            const res = await sendHttp(server.url, code);
            last = { code: 0, output: res.body };
            if (expectStatus !== undefined) expect(res.status, `${where(snippet)}: ${res.body}`).toBe(Number(expectStatus));
            else expect(res.status, `${where(snippet)}: ${res.body}`).toBeLessThan(300);
            break;
          }
          case 'yaml':
            expect(() => YAML.parseAllDocuments(code).forEach((d) => { if (d.errors.length) throw d.errors[0]; }), where(snippet)).not.toThrow();
            break;
          case 'json':
            expect(() => JSON.parse(code), where(snippet)).not.toThrow();
            break;
          case 'text':
            break;
        }
        report.executed++;
      });
    }
  });
}
