import { describe, expect, it } from 'vitest';
import { outputMatches, parseGuide } from './snippets.js';

describe('guide examples', () => {
  it('attaches the directives right above a fence to it, and only to it', () => {
    const guide = parseGuide([
      '<!-- server: --auth --default-permission READ -->',
      '<!-- env: A=1 B=x=y -->',
      '<!-- file: policy.yaml -->',
      '```yaml',
      'a: 1',
      '```',
      'Prose in between drops pending directives.',
      '<!-- exit: 1 -->',
      '',
      'more prose',
      '```bash',
      'false',
      '```',
      '<!-- ordinary comment -->',
      '<!-- skip: needs a GPU -->',
      '````sh',
      '```nested```',
      '````',
    ].join('\n'));
    expect(guide.serverFlags).toEqual(['--auth', '--default-permission', 'READ']);
    expect(guide.env).toEqual({ A: '1', B: 'x=y' });
    expect(guide.snippets.map((s) => [s.lang, s.line, s.directives])).toEqual([
      ['yaml', 4, { file: 'policy.yaml' }],
      ['bash', 11, {}],
      ['sh', 16, { skip: 'needs a GPU' }],
    ]);
    expect(guide.snippets[2]!.code).toBe('```nested```\n');
  });

  it('refuses an opt-out without a reason and an unclosed fence', () => {
    expect(() => parseGuide('<!-- skip -->\n```bash\nls\n```')).toThrow(/must say why/);
    expect(() => parseGuide('```bash\nls\n')).toThrow(/never closed/);
  });

  it('matches outputs with ... for any text or any lines', () => {
    expect(outputMatches('run 1 ... FINISHED', 'run 1 abc123 FINISHED\n')).toBe(true);
    expect(outputMatches('head\n...\ntail', 'head\na\nb\ntail')).toBe(true);
    expect(outputMatches('head\n...\ntail', 'head\ntail')).toBe(true);
    expect(outputMatches('head\ntail', 'head\nmiddle\ntail')).toBe(false);
    expect(outputMatches('a.b', 'axb')).toBe(false);
    expect(outputMatches('x', 'x\ny')).toBe(false);
  });
});
