import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer();
  const csv = 'id,price,city\n1,9.5,NY\n2,12.0,LA\n3,,NY\n4,250.0,SF\n';
  const added = await jsonClient(server.url).post('/api/v1/datasets', { name: 'shop', files: [{ path: 'shop.csv', content: Buffer.from(csv).toString('base64') }] });
  expect(added.status).toBe(201);
});
afterAll(() => server.close());

describe('a GE suite through the CLI and the API', () => {
  it('takes pandas type names and result_format, and writes the result as an HTML page', async () => {
    const suite = path.join(server.home, 'shop.yaml');
    fs.writeFileSync(suite, [
      'name: shop',
      'expectations:',
      '  - {expectation_type: expect_column_values_to_be_of_type, kwargs: {column: price, type_: float64}}',
      '  - {expectation_type: expect_column_values_to_be_of_type, kwargs: {column: id, type_: int64}}',
      '  - {expectation_type: expect_column_values_to_be_between, kwargs: {column: price, min_value: 0, max_value: 100}}',
      '  - {expectation_type: expect_column_distinct_values_to_be_in_set, kwargs: {column: city, value_set: [NY, LA]}}',
    ].join('\n'));
    const html = path.join(server.home, 'shop.html');
    const r = await runCli(['validate', 'shop@1', '--suite', suite, '--result-format', 'complete', '--html', html, '--json', '--url', server.url]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.results.map((x: { success: boolean }) => x.success)).toEqual([true, true, false, false]);
    // price 250 (row 3) is the one non-null value out of [0, 100]: 1 of 3; row 2 is missing.
    expect(result.results[2].result).toMatchObject({ unexpected_count: 1, missing_count: 1, unexpected_list: [250], unexpected_index_list: [3] });
    expect(result.results[3].result.observed_value).toEqual(['LA', 'NY', 'SF']);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('<title>Validation of shop@1 against shop@1</title>');
    expect(page).toContain('1 unexpected of 4 rows');

    const api = jsonClient(server.url);
    const listed = await api.get('/api/v1/datasets/shop/versions/1/validations');
    const id = listed.body.items[0].id as string;
    const served = await fetch(`${server.url}/api/v1/datasets/shop/versions/1/validations/${id}/report.html`);
    expect([served.status, served.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await served.text()).toBe(page);
    expect((await fetch(`${server.url}/api/v1/datasets/shop/versions/1/validations/ffff/report.html`)).status).toBe(404);
    const bad = await api.post('/api/v1/datasets/shop/versions/1/validations', { suiteName: 'shop', resultFormat: 'EVERYTHING' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('resultFormat');
  }, 120_000);
});
