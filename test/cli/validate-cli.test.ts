import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
  const added = await jsonClient(server.url).post('/api/v1/datasets', { name: 'people', files: [{ path: 'people.csv', content: Buffer.from('id,age\n1,30\n1,40\n').toString('base64') }] });
  expect(added.status).toBe(201);
});
afterAll(() => server.close());

describe('openexpert validate, lineage and data datasheet', () => {
  it('exits 1 when the data fail the suite, names a bad suite field, and shows the result in the lineage graph', async () => {
    const cli = (args: string[]) => runCli([...args, '--url', server.url]);
    const suite = path.join(server.home, 'suite.yaml');
    fs.writeFileSync(suite, ['name: ids', 'expectations:', '  - expectation_type: expect_column_values_to_be_unique', '    kwargs: {column: id}'].join('\n'));
    const failed = await cli(['validate', 'people@1', '--suite', suite]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("FAILED: suite 'ids@1' on people@1, 0 of 1 expectations met");
    expect(failed.stdout).toMatch(/NO\s+expect_column_values_to_be_unique\s+id\s+2 unexpected \(100\.00%\)/);

    fs.writeFileSync(suite, 'name: ids\nexpectations:\n  - expectation_type: expect_nothing\n    kwargs: {}\n');
    // A suite or usage error is 2, so CI can tell it from data that fail (1).
    const bad = await cli(['validate', 'people', '--suite', suite]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'suite.expectations.0.expectation_type'");
    expect((await cli(['validate', 'people'])).code).toBe(2);
    expect((await cli(['validate', 'people', '--suite', 'no-such-suite'])).code).toBe(2);
    const unknownVersion = await cli(['validate', 'people@9', '--suite', 'ids']);
    expect([unknownVersion.code, unknownVersion.stderr]).toEqual([2, expect.stringContaining("Dataset version 'people@9' does not exist")]);

    const lineage = await cli(['lineage', 'people@1', '--downstream', '--format', 'mermaid']);
    expect(lineage.stdout).toMatch(/^flowchart LR\n/);
    expect(lineage.stdout).toContain('-->|validated|');
  }, 180_000);

  it('validates a partitioned dataset whole by default and part by part with --per-part', async () => {
    const cli = (args: string[]) => runCli([...args, '--url', server.url]);
    const added = await jsonClient(server.url).post('/api/v1/datasets', { name: 'parted', files: [
      { path: 'part-0.csv', content: Buffer.from('id\n1\n2\n').toString('base64') },
      { path: 'part-1.csv', content: Buffer.from('id\n2\n3\n4\n').toString('base64') },
    ] });
    expect(added.status).toBe(201);
    const suite = path.join(server.home, 'parted.yaml');
    fs.writeFileSync(suite, ['name: parted', 'expectations:', '  - expectation_type: expect_column_values_to_be_unique', '    kwargs: {column: id}', '  - expectation_type: expect_table_row_count_to_be_between', '    kwargs: {max_value: 3}'].join('\n'));
    // The whole: 5 rows and id 2 twice.
    const whole = await cli(['validate', 'parted@1', '--suite', suite]);
    expect(whole.code).toBe(1);
    expect(whole.stdout).toContain("FAILED: suite 'parted@1' on parted@1, 0 of 2 expectations met");
    // Each part alone passes both.
    const parts = await cli(['validate', 'parted@1', '--suite', suite, '--per-part']);
    expect(parts.code, parts.stderr).toBe(0);
    expect(parts.stdout).toContain("PASSED: suite 'parted@1' on parted@1 file part-0.csv, 2 of 2 expectations met");
    expect(parts.stdout).toContain("PASSED: suite 'parted@1' on parted@1 file part-1.csv, 2 of 2 expectations met");
  }, 180_000);

  it('writes a datasheet section and prints the datasheet as Markdown', async () => {
    const sheet = await runCli(['data', 'datasheet', 'people', '--set', 'motivation=Who our users are.', '--url', server.url]);
    expect(sheet.code, sheet.stderr).toBe(0);
    expect(sheet.stdout).toContain('## Motivation\n\nWho our users are.');
    expect(sheet.stdout).toContain('## Composition\n\n_Drafted from the platform');
    const unknown = await runCli(['data', 'datasheet', 'people', '--set', 'purpose=x', '--url', server.url]);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("Unknown datasheet section 'purpose'")]);
  }, 180_000);
});
