import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from './program.js';

/**
 * The CLI reference (docs/cli.md) rendered from the commander definitions themselves, so it cannot drift from
 * what `openexpert --help` says: a test compares the committed file with this output.
 */
export function renderCliReference(program: Command = buildProgram()): string {
  const out: string[] = [
    '# CLI reference',
    '',
    '<!-- Generated from the command definitions by `npm run docs:cli`; do not edit by hand. -->',
    '',
    `\`${program.name()}\` — ${program.description()}`,
    '',
    'Commands that talk to a server take `--url` (default `$OPENEXPERT_URL`, then `$MLFLOW_TRACKING_URI`, then',
    '`http://127.0.0.1:5000`). Every command prints `--help`.',
    '',
  ];
  const walk = (cmd: Command, trail: string[]) => {
    for (const sub of cmd.commands) {
      if ((sub as unknown as { _hidden?: boolean })._hidden) continue;
      const names = [...trail, sub.name()];
      const help = sub.createHelp();
      out.push(`${'#'.repeat(Math.min(names.length, 4))} \`${names.join(' ')}\``, '');
      if (sub.description()) out.push(sub.description(), '');
      out.push('```text', `${names.join(' ')} ${sub.usage()}`.trimEnd(), '```', '');
      const args = help.visibleArguments(sub);
      if (args.length > 0) {
        out.push('| argument | description |', '|---|---|');
        for (const a of args) out.push(`| \`${cell(help.argumentTerm(a))}\` | ${cell(help.argumentDescription(a))} |`);
        out.push('');
      }
      const options = help.visibleOptions(sub).filter((o) => o.long !== '--help');
      if (options.length > 0) {
        out.push('| option | description |', '|---|---|');
        for (const o of options) out.push(`| \`${cell(help.optionTerm(o))}\` | ${cell(help.optionDescription(o))} |`);
        out.push('');
      }
      walk(sub, names);
    }
  };
  walk(program, [program.name()]);
  return out.join('\n');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export const CLI_REFERENCE_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/cli.md');

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.mkdirSync(path.dirname(CLI_REFERENCE_PATH), { recursive: true });
  fs.writeFileSync(CLI_REFERENCE_PATH, renderCliReference());
  console.log(`wrote ${path.relative(process.cwd(), CLI_REFERENCE_PATH)}`);
}
