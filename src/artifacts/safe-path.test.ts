import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeArtifactPath } from './safe-path.js';

const rejected = (raw: unknown) => {
  try {
    safeArtifactPath(raw);
  } catch (err) {
    return (err as { code?: string }).code === 'INVALID_PARAMETER_VALUE';
  }
  return false;
};

describe('safeArtifactPath', () => {
  it.each([
    ['a/b.txt', 'a/b.txt'],
    ['./a//b/./c/', 'a/b/c'],
    ['', ''],
    ['.', ''],
    ['a/..b/c..', 'a/..b/c..'],
    ['with space/#hash?q=%', 'with space/#hash?q=%'],
    ['100%.txt', '100%.txt'],
    ['%41', '%41'],
    ['数据/ünï 😀', '数据/ünï 😀'],
  ])('normalises %j to %j', (raw, expected) => {
    expect(safeArtifactPath(raw)).toBe(expected);
  });

  it.each([
    '..',
    '../x',
    'a/../../x',
    'a/..',
    '/etc/passwd',
    '//server/share',
    '%2e%2e/x',
    '%2E%2E',
    '.%2e/x',
    'a/%2F..%2F..',
    'a%2fb',
    'a%5c..%5cb',
    '%2e',
    'a\\b',
    '..\\..\\x',
    'a\u0000b',
    'a%00b',
    'line\nbreak',
    'C:/Windows',
    'c:x',
    '%2fetc/passwd',
    'x'.repeat(256),
    'a/'.repeat(600),
  ])('rejects %j with INVALID_PARAMETER_VALUE naming the path', (raw) => {
    expect(() => safeArtifactPath(raw)).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('Invalid artifact path') }),
    );
  });

  it('rejects what is not a string', () => {
    for (const raw of [undefined, null, 1, ['a'], { toString: () => 'a' }]) expect(rejected(raw)).toBe(true);
  });

  it('never lets an accepted path leave the root, even after one more decoding', () => {
    const piece = fc.constantFrom('a', '..', '.', '/', '\\', '%2e', '%2E', '%2f', '%5c', '%25', '%00', '%', 'é', ' ', '#', '?', ':', 'C:');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), (raw) => {
        if (rejected(raw)) return;
        const accepted = safeArtifactPath(raw);
        const root = '/srv/artifacts';
        for (const form of [accepted, decodeURIComponentLoosely(accepted)]) {
          const joined = path.posix.resolve(root, form);
          expect(joined === root || joined.startsWith(`${root}/`)).toBe(true);
        }
        expect(safeArtifactPath(accepted)).toBe(accepted);
      }),
      { numRuns: 5000 },
    );
  });
});

function decodeURIComponentLoosely(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
