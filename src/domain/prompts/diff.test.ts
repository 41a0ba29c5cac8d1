import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hunks, lineDiff, unifiedDiff } from './diff.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-prompt-diff-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** GNU diff's minimal diff of the two texts (each written with a final newline, as a file holds it). */
function gnuDiff(a: string, b: string): string {
  fs.writeFileSync(path.join(dir, 'a'), `${a}\n`);
  fs.writeFileSync(path.join(dir, 'b'), `${b}\n`);
  try {
    return execFileSync('diff', ['--minimal', '-U3', '--label', 'a', '--label', 'b', path.join(dir, 'a'), path.join(dir, 'b')], { encoding: 'utf8' });
  } catch (err) {
    return (err as { stdout: string }).stdout;
  }
}

const changed = (unified: string) => unified.split('\n').filter((l) => /^[-+](?![-+]{2} )/.test(l)).length;
/** Small alphabets make long common subsequences with many equally short alternatives: the hard case. */
const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', '', '{{x}}'), { minLength: 0, maxLength: 30 }).map((ls) => ls.join('\n'));

describe('prompt line diff', () => {
  it('is as short as GNU diff --minimal and rebuilds both texts', () => {
    fc.assert(fc.property(text, text, (a, b) => {
      const lines = lineDiff(a, b);
      expect(lines.filter((l) => l.op !== '+').map((l) => l.text).join('\n')).toBe(a);
      expect(lines.filter((l) => l.op !== '-').map((l) => l.text).join('\n')).toBe(b);
      expect(changed(unifiedDiff('a', 'b', hunks(lines)))).toBe(changed(gnuDiff(a, b)));
    }), { seed: 22, numRuns: 80 });
  }, 120_000);

  it('writes the same hunks as GNU diff where the alignment is unique', () => {
    const a = ['You are helpful.', 'Summarize {{ticket}}.', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'Be brief.'].join('\n');
    const b = ['You are a support lead.', 'Summarize {{ticket}}.', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'Answer in {{language}}.', 'Thanks.'].join('\n');
    expect(unifiedDiff('a', 'b', hunks(lineDiff(a, b)))).toBe(gnuDiff(a, b));
    expect(unifiedDiff('a', 'b', hunks(lineDiff('same', 'same')))).toBe('');
    expect(unifiedDiff('a', 'b', hunks(lineDiff('', 'new')))).toBe(gnuDiff('', 'new'));
  });
});
