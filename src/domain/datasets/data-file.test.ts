import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTables, type LocalFile } from './data-file.js';

let dir: string;
let file: LocalFile;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oe-data-file-'));
  file = { local: path.join(dir, 'blob-1'), name: 'people.csv' };
  fs.writeFileSync(file.local, 'id,age\n1,30\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('openTables', () => {
  it('keeps server paths out of every query error, naming the file as the dataset does', async () => {
    const tables = await openTables([file]);
    try {
      // Reading the CSV's local copy as Parquet fails with a message DuckDB words around the path.
      const failure = await tables.connection.run(`SELECT * FROM read_parquet('${file.local}')`).then(() => undefined, (err: Error) => err);
      expect(failure?.message).toContain("'people.csv'");
      expect(failure?.message).not.toContain(dir);
      // Everything else on the connection still works.
      expect(await (await tables.connection.run(`SELECT count(*)::INTEGER AS n FROM ${tables.sources[0]}`)).getRowObjects()).toEqual([{ n: 1 }]);
    } finally {
      await tables.close();
    }
  });
});
