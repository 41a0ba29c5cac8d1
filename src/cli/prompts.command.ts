import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { invalid, isDomainError } from '../core/errors.js';
import { parsePromptFile, PROMPT_FILE } from '../domain/prompts/prompt-file.js';
import { checkTemplate } from '../domain/prompts/template.js';
import type { PromptDetail, PromptDiff, PromptSummary, PromptVersion, PushInput, PushResult } from '../domain/prompts/types.js';
import { common, printRequest, promoteExitCode, registryApi, type Common, type RequestJson } from './models.command.js';
import { formatTime, printJson, printTable } from './output.js';

const enc = encodeURIComponent;

/** Every prompt file under `dir` (subfolders too), by path relative to it, in a stable order. */
function promptFiles(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw invalid(`No prompt folder at '${dir}'`);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory() && !entry.name.startsWith('.')) walk(child);
      else if (entry.isFile() && PROMPT_FILE.test(entry.name) && !/^readme\.md$/i.test(entry.name)) out.push(child);
    }
  };
  walk('');
  if (out.length === 0) throw invalid(`No prompt files (*.txt, *.md, *.yaml) in '${dir}'`);
  return out;
}

/** The commit a file is at, when it is committed as it is on disk: the version then names where it came from in Git. */
function committedAt(file: string): { path: string; commit: string } | undefined {
  try {
    const cwd = path.dirname(file);
    const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (git('status', '--porcelain', '--', path.basename(file)) !== '') return undefined;
    const commit = git('log', '-n1', '--format=%H', '--', path.basename(file));
    const top = git('rev-parse', '--show-toplevel');
    return commit ? { path: path.relative(top, fs.realpathSync(file)), commit } : undefined;
  } catch {
    return undefined;
  }
}

/** The files as push inputs, every problem of every file reported at once before anything is sent. */
export function readPromptFolder(dir: string): PushInput[] {
  const problems: string[] = [];
  const inputs: PushInput[] = [];
  const seen = new Map<string, string>();
  for (const rel of promptFiles(dir)) {
    try {
      const input = parsePromptFile(rel, fs.readFileSync(path.join(dir, rel), 'utf8'));
      checkTemplate(input.template, input.variables, rel);
      if (seen.has(input.name)) throw invalid(`${rel}: prompt '${input.name}' is also defined by ${seen.get(input.name)}`);
      seen.set(input.name, rel);
      const git = committedAt(path.join(dir, rel));
      inputs.push(git ? { ...input, file: git.path, commit: git.commit } : input);
    } catch (err) {
      if (!isDomainError(err)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length) throw invalid(`Invalid prompt files:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  return inputs;
}

const SIGN: Record<PushResult['action'], string> = { created: '+', updated: '~', unchanged: ' ' };
const labelsOf = (p: PromptSummary) => p.labels.map((l) => `${l.label}:v${l.version}`).join(' ');
const oneLine = (t: PromptVersion['template']) => (typeof t === 'string' ? t : t.map((m) => `[${m.role}] ${m.content}`).join(' ')).replace(/\s+/g, ' ').slice(0, 60);

export function registerPromptsCommand(program: Command): void {
  const prompts = program.command('prompts').description('Prompt registry: templates from Git pushed as versions, labels moved under a policy, diffs');

  common(prompts.command('push [dir]').description('Push the prompt files of a folder (default ./prompts): a new version for each file whose content changed'))
    .option('--check', 'only check the files (names, front matter, variables), without a server')
    .action(async (dir: string | undefined, opts: Common & { check?: boolean }) => {
      const inputs = readPromptFolder(dir ?? 'prompts');
      if (opts.check) {
        if (opts.json) return printJson(inputs.map((i) => ({ name: i.name, file: i.file })));
        console.log(`${inputs.length} prompt file(s) valid`);
        return;
      }
      const api = registryApi(opts);
      const results: PushResult[] = [];
      for (const input of inputs) results.push(await api<PushResult>('POST', '/api/v1/prompts', { body: input }));
      if (opts.json) return printJson(results);
      for (const r of results) console.log(`${SIGN[r.action]} ${r.name} v${r.version} (${r.action}${r.variables.length ? `; variables: ${r.variables.join(', ')}` : ''})`);
      const count = (a: PushResult['action']) => results.filter((r) => r.action === a).length;
      console.log(`Pushed: ${count('created')} created, ${count('updated')} updated, ${count('unchanged')} unchanged`);
    });

  common(prompts.command('list').description('Prompts with their newest version and labels'))
    .option('--name <pattern>', "a name pattern ('%' matches anything)")
    .action(async (opts: Common & { name?: string }) => {
      const { items } = await registryApi(opts)<{ items: PromptSummary[] }>('GET', '/api/v1/prompts', { query: { name: opts.name } });
      if (opts.json) return printJson(items);
      printTable(items, [
        { header: 'name', value: (p) => p.name },
        { header: 'latest', value: (p) => (p.latestVersion !== undefined ? `v${p.latestVersion}` : '') },
        { header: 'labels', value: labelsOf },
        { header: 'updated', value: (p) => formatTime(p.updatedAt) },
        { header: 'description', value: (p) => p.description ?? '' },
      ]);
    });

  common(prompts.command('show <name> [version]').description('A prompt with its versions, or one version (a number or a label) with its template'))
    .action(async (name: string, version: string | undefined, opts: Common) => {
      const api = registryApi(opts);
      if (version === undefined) {
        const p = await api<PromptDetail>('GET', `/api/v1/prompts/${enc(name)}`);
        if (opts.json) return printJson(p);
        console.log(`${p.name}${p.description ? ` — ${p.description}` : ''}`);
        if (p.labels.length) console.log(`labels: ${labelsOf(p)}`);
        console.log();
        printTable(p.versions, [
          { header: 'version', value: (v) => `v${v.version}` },
          { header: 'labels', value: (v) => v.labels.join(' ') },
          { header: 'variables', value: (v) => v.variables.join(', ') },
          { header: 'created', value: (v) => formatTime(v.createdAt) },
          { header: 'message', value: (v) => v.commitMessage ?? '' },
          { header: 'template', value: (v) => oneLine(v.template) },
        ]);
        return;
      }
      const v = await api<PromptVersion>('GET', `/api/v1/prompts/${enc(name)}/versions/${enc(version)}`);
      if (opts.json) return printJson(v);
      console.log(`${v.name} v${v.version} (${v.type})${v.labels.length ? ` labels: ${v.labels.join(' ')}` : ''}`);
      console.log(`variables: ${v.variables.join(', ') || 'none'}`);
      if (v.commitMessage) console.log(`message: ${v.commitMessage}`);
      if (v.file) console.log(`from: ${v.file}${v.commit ? ` @ ${v.commit.slice(0, 12)}` : ''}`);
      console.log();
      if (typeof v.template === 'string') console.log(v.template);
      else for (const m of v.template) console.log(`[${m.role}]\n${m.content}`);
    });

  common(prompts.command('diff <name> <from> <to>').description('The line diff between two versions (numbers or labels)'))
    .action(async (name: string, from: string, to: string, opts: Common) => {
      const d = await registryApi(opts)<PromptDiff>('GET', `/api/v1/prompts/${enc(name)}/diff`, { query: { from, to } });
      if (opts.json) return printJson(d);
      if (d.unified === '') console.log(`v${d.from} and v${d.to} have the same template`);
      else process.stdout.write(d.unified);
      if (d.variables.added.length) console.log(`variables added: ${d.variables.added.join(', ')}`);
      if (d.variables.removed.length) console.log(`variables removed: ${d.variables.removed.join(', ')}`);
      for (const c of d.changed) console.log(`changed: ${c}`);
    });

  common(prompts.command('label <name> <label> <version>').description("Move a label to a version: a promotion under the prompt's policy (exit 3 while it waits for approvals)"))
    .option('--reason <text>', 'why, for the history')
    .action(async (name: string, label: string, version: string, opts: Common & { reason?: string }) => {
      const request = await registryApi(opts)<RequestJson>('PUT', `/api/v1/prompts/${enc(name)}/labels/${enc(label)}`, {
        body: { version, ...(opts.reason ? { reason: opts.reason } : {}) },
      });
      process.exitCode = promoteExitCode(request);
      if (opts.json) return printJson(request);
      printRequest(request);
      if (process.exitCode === 3) console.log(`\nwaiting for approvals: another user runs \`openexpert models approve ${request.id}\``);
    });

  common(prompts.command('unlabel <name> <label>').description('Remove a label'))
    .action(async (name: string, label: string, opts: Common) => {
      await registryApi(opts)('DELETE', `/api/v1/prompts/${enc(name)}/labels/${enc(label)}`);
      if (opts.json) return printJson({});
      console.log(`removed label ${label} from ${name}`);
    });
}
