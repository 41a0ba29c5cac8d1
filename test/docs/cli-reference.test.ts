import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { CLI_REFERENCE_PATH, renderCliReference } from '../../src/cli/reference.js';

describe('CLI reference (docs/cli.md)', () => {
  it('is what the command definitions say today (run `npm run docs:cli` after changing a command)', () => {
    expect(fs.readFileSync(CLI_REFERENCE_PATH, 'utf8')).toBe(renderCliReference());
  });

  it('documents every command and every option', () => {
    const doc = renderCliReference();
    const walk = (cmd: ReturnType<typeof buildProgram>, trail: string[]): void => {
      for (const sub of cmd.commands) {
        const names = [...trail, sub.name()];
        expect(doc).toContain(`\`${names.join(' ')}\``);
        for (const o of sub.options) if (o.long !== '--help') expect(doc, `${names.join(' ')} ${o.flags}`).toContain(o.flags.replace(/\|/g, '\\|'));
        walk(sub, names);
      }
    };
    walk(buildProgram(), ['openexpert']);
  });
});
