import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../monitoring/file-table.js';
import type { LocalFile } from './data-file.js';
import { dkwRankError, profileTable } from './profile-file.js';
import type { ColumnProfile } from './types.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** Written by fixtures/make-profile-fixtures.py, independently of DuckDB. */
const expected = JSON.parse(fs.readFileSync(path.join(fixtures, 'profile-fixtures.json'), 'utf8')) as {
  rowCount: number;
  parts: Record<string, number>;
  columns: Record<string, Record<string, number | string>>;
  part0: Record<string, Record<string, number>>;
};
const parts: LocalFile[] = ['part-0.csv', 'part-1.csv'].map((name) => ({ local: path.join(fixtures, name), name }));

function expectProfile(actual: ColumnProfile | undefined, reference: Record<string, number | string>) {
  expect(actual).toBeDefined();
  for (const [figure, value] of Object.entries(reference)) {
    const got = actual![figure as keyof ColumnProfile];
    if (typeof value === 'number' && !Number.isInteger(value)) expect(got, figure).toBeCloseTo(value, 10);
    else expect(got, figure).toBe(value);
  }
}

describe('profileTable', () => {
  it('profiles a table in two parts as a whole, exactly as pandas would, and each part on its own', async () => {
    const t = await profileTable(parts);
    expect(t.rowCount).toBe(expected.rowCount);
    const byName = new Map(t.profile.map((c) => [c.name, c]));
    for (const [name, reference] of Object.entries(expected.columns)) expectProfile(byName.get(name), reference);
    expect(t.profile.every((c) => c.approximate === undefined)).toBe(true);
    // The union by name: columns of part 0 first, then what only part 1 has; integers and text make text.
    expect(t.schema).toEqual([
      { name: 'id', type: 'BIGINT' }, { name: 'malic_acid', type: 'DOUBLE' }, { name: 'grade', type: 'BIGINT' },
      { name: 'code', type: 'VARCHAR' }, { name: 'city', type: 'VARCHAR' }, { name: 'batch', type: 'BIGINT' },
    ]);

    expect(t.parts?.map((p) => [p.path, p.rowCount])).toEqual(Object.entries(expected.parts));
    const part0 = new Map(t.parts![0]!.profile.map((c) => [c.name, c]));
    for (const [name, reference] of Object.entries(expected.part0)) expectProfile(part0.get(name), reference);
    expect(t.schemaDifferences).toEqual([
      { column: 'grade', missingFrom: ['part-1.csv'], types: { BIGINT: ['part-0.csv'] } },
      { column: 'code', missingFrom: [], types: { BIGINT: ['part-0.csv'], VARCHAR: ['part-1.csv'] } },
      { column: 'batch', missingFrom: ['part-0.csv'], types: { BIGINT: ['part-1.csv'] } },
    ]);
  });

  it('labels figures approximate, with their error bounds, above the exact row limit', async () => {
    const t = await profileTable(parts, 100);
    const id = t.profile.find((c) => c.name === 'id')!;
    // 300 rows fit in the sample, so its quartiles are still the exact ones; the label says how far they could be off.
    expect([id.q25, id.q50, id.q75]).toEqual([75.75, 150.5, 225.25]);
    expect(id.approximate).toEqual({
      distinctCount: { method: 'hyperloglog', relativeStandardError: 0.13 },
      quantiles: { method: 'reservoir sample', sampleSize: 300, rankError: expect.closeTo(Math.sqrt(Math.log(200) / 600), 12), confidence: 0.99 },
    });
    expect(t.profile.find((c) => c.name === 'city')!.approximate).toEqual({ distinctCount: { method: 'hyperloglog', relativeStandardError: 0.13 } });
    // DKW at 1,000,000 sampled values and 99 %: ±0.163 % in rank.
    expect(dkwRankError(1_000_000)).toBeCloseTo(0.001628, 6);
  });

  describe('at a million rows', () => {
    let dir: string;
    let file: LocalFile;
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-profile-'));
      file = { local: path.join(dir, 'blob'), name: 'big.parquet' };
      const instance = await openDuckDb();
      const connection = await instance.connect();
      await connection.run(`COPY (SELECT i, i % 1000 AS r FROM range(1000000) t(i)) TO '${file.local}' (FORMAT PARQUET)`);
      connection.closeSync();
      instance.closeSync();
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('counts distinct values and interpolates quartiles exactly', async () => {
      const t = await profileTable([file]);
      const [i, r] = t.profile;
      // i = 0..999,999 sorted is its own rank, so the quartile at p is h = 999,999·p itself: 249,999.75, 499,999.5, 749,999.25.
      expect(i).toMatchObject({ distinctCount: 1_000_000, q25: 249_999.75, q50: 499_999.5, q75: 749_999.25, min: 0, max: 999_999 });
      // r = i mod 1000: each of 0..999 a thousand times; sorted, rank 249,999 holds 249 and rank 250,000 holds 250.
      expect(r).toMatchObject({ distinctCount: 1000, q25: 249.75, q50: 499.5, q75: 749.25 });
    }, 60_000);
  });
});
