import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv';

describe('CSV preview reader', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks', () => {
    expect(parseCsv('a,b,c\r\n1,"x, y","say ""hi"""\n2,"multi\nline",\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'multi\nline', ''],
    ]);
  });

  it('reads TSV and keeps a last line without a newline', () => {
    expect(parseCsv('k\tv\nlr\t0.1', '\t')).toEqual([['k', 'v'], ['lr', '0.1']]);
  });

  it('drops the partial last row of a truncated preview', () => {
    expect(parseCsv('a,b\n1,2\n3,', ',', { truncated: true })).toEqual([['a', 'b'], ['1', '2']]);
  });
});
