import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/** Datasets, validation, lineage and the `validation` promotion evidence over the native API. */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';
const V1 = '/api/v1';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

const b64 = (s: string) => Buffer.from(s).toString('base64');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const TRAIN = 'id,age\n1,30\n2,41\n3,\n';
const README = 'churn training data\n';
const SUITE = {
  name: 'churn',
  expectations: [
    { expectation_type: 'expect_column_values_to_be_unique', kwargs: { column: 'id' } },
    { expectation_type: 'expect_column_values_to_not_be_null', kwargs: { column: 'age', mostly: 0.6 } },
  ],
};

describe('datasets over HTTP', () => {
  it('versions by content: same files in another order are the same version, digests are sha256 of the bytes', async () => {
    const first = await api.post(`${V1}/datasets`, { name: 'churn', files: [{ path: 'train.csv', content: b64(TRAIN) }, { path: 'README', content: b64(README) }] });
    expect(first.status).toBe(201);
    const v = first.body.version;
    expect(v).toMatchObject({ name: 'churn', version: 1, rowCount: 3, size: TRAIN.length + README.length, labels: ['latest'] });
    expect(v.files).toEqual([{ path: 'README', size: README.length, sha256: sha(README) }, { path: 'train.csv', size: TRAIN.length, sha256: sha(TRAIN) }]);
    // Root digest: sha256 of the sorted `path\0sha256\n` lines, computed here independently.
    expect(v.digest).toBe(sha(`README\0${sha(README)}\ntrain.csv\0${sha(TRAIN)}\n`));
    expect(v.schema).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'age', type: 'BIGINT' }]);
    expect(v.profile[1]).toMatchObject({ name: 'age', nullCount: 1, min: 30, max: 41, mean: 35.5 });

    const reordered = await api.post(`${V1}/datasets`, { name: 'churn', files: [{ path: 'README', content: b64(README) }, { path: 'train.csv', content: b64(TRAIN) }] });
    expect([reordered.status, reordered.body.created, reordered.body.version.version]).toEqual([200, false, 1]);
    const changed = await api.post(`${V1}/datasets`, { name: 'churn', files: [{ path: 'train.csv', content: b64('id,age\n1,30\n1,\n2,\n') }], labels: ['candidate'] });
    expect([changed.status, changed.body.version.version, changed.body.version.labels]).toEqual([201, 2, ['candidate', 'latest']]);

    expect((await api.call('PUT', `${V1}/datasets/churn/labels/prod`, { version: 1 })).body.labels).toEqual(['prod']);
    expect((await api.get(`${V1}/datasets/churn/versions/prod`)).body.version).toBe(1);
    expect((await api.get(`${V1}/datasets`)).body.items).toEqual([{ name: 'churn', latestVersion: 2, versions: 2 }]);
    // v1 → v2: README gone, train.csv changed; age went from 1 null of 3 to 2 nulls of 3.
    const diff = (await api.get(`${V1}/datasets/churn/diff`, { from: '1', to: '2' })).body;
    expect(diff).toMatchObject({ from: 'churn@1', to: 'churn@2', sameContent: false, rowCount: [3, 3], addedColumns: [], removedColumns: [], files: { added: [], removed: ['README'], changed: ['train.csv'] } });
    expect(diff.columnChanges.find((c: { column: string }) => c.column === 'age').changes).toMatchObject({ nullCount: [1, 2], mean: [35.5, 30] });
    const file = await fetch(`${server.url}${V1}/datasets/churn/versions/1/file?path=train.csv`);
    expect(await file.text()).toBe(TRAIN);
  });

  it('rejects bad input naming the field or file, and registers nothing', async () => {
    const corrupt = await api.post(`${V1}/datasets`, { name: 'broken', files: [{ path: 'data.parquet', content: b64('not parquet') }] });
    expect([corrupt.status, corrupt.body.error.code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(corrupt.body.error.message).toContain("'data.parquet'");
    // The message names the file as the dataset does, never where the server keeps it.
    expect(corrupt.body.error.message).not.toContain(server.home);
    expect(corrupt.body.error.message).not.toMatch(/blobs|artifacts|\/tmp\//);
    expect((await api.get(`${V1}/datasets/broken/versions`)).status).toBe(404);
    const empty = await api.post(`${V1}/datasets`, { name: 'broken', files: [{ path: 'e.csv', content: '' }, { path: 'ok.csv', content: b64('a\n1\n') }], emptyFiles: 'refuse' });
    expect([empty.status, empty.body.error.message]).toEqual([400, "Empty file(s) 'e.csv' (0 bytes); nothing was added"]);
    expect((await api.get(`${V1}/datasets/broken/versions`)).status).toBe(404);
    expect((await api.post(`${V1}/datasets`, { name: 'x', files: [] })).body.error.message).toContain("'files'");
    expect((await api.get(`${V1}/datasets/churn/versions/9`)).status).toBe(404);
    const unknown = await api.post(`${V1}/datasets/churn/versions/1/validations`, { suite: { name: 's', expectations: [{ expectation_type: 'expect_magic', kwargs: {} }] } });
    expect(unknown.body.error.message).toContain('suite.expectations.0.expectation_type');
  });

  it('refuses a file whose stored bytes no longer match the digest, and validates nothing from it', async () => {
    const bytes = 'a,b\n1,2\n';
    await api.post(`${V1}/datasets`, { name: 'tampered', files: [{ path: 't.csv', content: b64(bytes) }] });
    const blob = path.join(server.home, 'artifacts', 'datasets', 'blobs', sha(bytes).slice(0, 2), sha(bytes));
    fs.writeFileSync(blob, 'a,b\n99,99\n');
    const res = await api.get(`${V1}/datasets/tampered/versions/1/file`, { path: 't.csv' });
    expect([res.status, res.body.error.code]).toEqual([409, 'INVALID_STATE']);
    expect(res.body.error.message).toContain("File 't.csv' of 'tampered@1' no longer matches its digest");
    // Same size, other bytes: only a hash can tell, so the download hashes before it sends anything (no 200 that breaks
    // off), and validation before it reads.
    fs.writeFileSync(blob, 'a,b\n9,9\n');
    const sameSize = await fetch(`${server.url}${V1}/datasets/tampered/versions/1/file?path=t.csv`);
    const refusal = (await sameSize.json()) as { error: { code: string; message: string } };
    expect([sameSize.status, refusal.error.code]).toEqual([409, 'INVALID_STATE']);
    expect(refusal.error.message).toContain("File 't.csv' of 'tampered@1' no longer matches its digest");
    const validated = await api.post(`${V1}/datasets/tampered/versions/1/validations`, { suite: SUITE });
    expect([validated.status, validated.body.error.code]).toEqual([409, 'INVALID_STATE']);
    expect((await api.get(`${V1}/datasets/tampered/versions/1/validations`)).body.items).toEqual([]);
  });

  it('streams large content as blobs checked against their digest, then versions it by reference', async () => {
    const bytes = Buffer.from('id,x\n1,0.5\n2,0.7\n');
    const put = (sha256: string, body: Buffer) => fetch(`${server.url}${V1}/datasets/streamed/blobs/${sha256}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body });
    const wrong = await put(sha('something else'), bytes);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toContain(`hash to ${sha(bytes.toString())}`);
    const missing = await api.post(`${V1}/datasets/streamed/blobs/missing`, { files: [{ sha256: sha('something else'), size: bytes.length }, { sha256: sha(bytes.toString()), size: bytes.length }] });
    expect(missing.body.missing).toEqual([sha('something else'), sha(bytes.toString())]);
    expect((await put(sha(bytes.toString()), bytes)).status).toBe(201);
    expect((await put(sha(bytes.toString()), bytes)).status).toBe(200);
    expect((await api.post(`${V1}/datasets/streamed/blobs/missing`, { files: [{ sha256: sha(bytes.toString()), size: bytes.length }] })).body.missing).toEqual([]);

    const unknown = await api.post(`${V1}/datasets`, { name: 'streamed', files: [{ path: 'data.csv', sha256: sha('never uploaded'), size: 3 }] });
    expect([unknown.status, unknown.body.error.message]).toEqual([400, expect.stringContaining("File 'data.csv': no uploaded content")]);
    const added = await api.post(`${V1}/datasets`, { name: 'streamed', files: [{ path: 'data.csv', sha256: sha(bytes.toString()), size: bytes.length }] });
    expect(added.status).toBe(201);
    expect(added.body.version).toMatchObject({ rowCount: 2, schema: [{ name: 'id', type: 'BIGINT' }, { name: 'x', type: 'DOUBLE' }] });
    const file = await fetch(`${server.url}${V1}/datasets/streamed/versions/1/file?path=data.csv`);
    expect([file.headers.get('x-content-sha256'), await file.text()]).toEqual([sha(bytes.toString()), bytes.toString()]);
  });

  it('validates a version, stores the result, and gates promotion on it', async () => {
    const good = await api.post(`${V1}/datasets/churn/versions/1/validations`, { suite: SUITE });
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ suiteName: 'churn', suiteVersion: 1, result: { success: true, statistics: { evaluated_expectations: 2, successful_expectations: 2 } } });
    // Version 2 repeats id 1 and has 2 of 3 ages missing: 1/3 < mostly 0.6.
    const bad = await api.post(`${V1}/datasets/churn/versions/2/validations`, { suite: SUITE });
    expect([bad.body.suiteVersion, bad.body.result.success]).toEqual([1, false]);
    expect(bad.body.result.results.map((r: { success: boolean }) => r.success)).toEqual([false, false]);
    expect(bad.body.result.results[0].result).toMatchObject({ unexpected_count: 2, partial_unexpected_list: [1, 1] });
    expect((await api.get(`${V1}/datasets/churn/versions/2/validations`)).body.items).toHaveLength(1);

    const exp = (await api.post(`${M}/experiments/create`, { name: 'churn-exp' })).body.experiment_id as string;
    const runFor = async (dataset: string) => {
      const runId = (await api.post(`${M}/runs/create`, { experiment_id: exp, tags: [{ key: 'dataset_version', value: dataset }] })).body.run.info.run_id as string;
      expect((await api.post(`${V1}/models/churn-model/versions`, { source: `runs:/${runId}/model`, runId })).status).toBe(201);
      return runId;
    };
    expect((await api.post(`${V1}/models`, { name: 'churn-model' })).status).toBe(201);
    const goodRun = await runFor('churn@1');
    await runFor('churn@2');
    const policy = await api.call('PUT', `${V1}/models/churn-model/policy`, { stages: { Production: { checks: [{ type: 'evidence', provider: 'validation', params: { suite: 'churn' } }] } } });
    expect(policy.status).toBe(200);
    const passed = await api.get(`${V1}/models/churn-model/versions/1/checks`, { target: 'Production' });
    expect(passed.body).toMatchObject({ passed: true, checks: [{ passed: true, detail: 'churn@1 passed validation' }] });
    const blocked = await api.post(`${M}/model-versions/transition-stage`, { name: 'churn-model', version: '2', stage: 'Production', archive_existing_versions: false });
    expect(blocked.status).toBe(400);
    expect(blocked.body.message).toContain("churn@2 failed suite 'churn'");

    // Lineage: churn@1 → run → model version, and the validation hanging off the dataset.
    const down = await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent('churn@1')}`, { direction: 'downstream' });
    expect(down.body.nodes.map((n: { kind: string; depth: number }) => [n.kind, n.depth])).toEqual([['dataset_version', 0], ['run', 1], ['validation', 1], ['model_version', 2]]);
    expect(down.body.nodes.find((n: { kind: string }) => n.kind === 'run').id).toBe(goodRun);
    expect(down.body.nodes.find((n: { kind: string }) => n.kind === 'model_version').id).toBe('churn-model/1');
    const up = await api.get(`${V1}/lineage/model_version/${encodeURIComponent('churn-model/1')}`, { direction: 'upstream', format: 'mermaid' });
    expect(up.body).toContain('flowchart LR');
    expect(up.body).toContain('-->|produced|');

    // Nodes carry the names people use, in JSON, Mermaid and DOT alike.
    const named = (await api.post(`${M}/runs/create`, { experiment_id: exp, run_name: 'baseline', tags: [{ key: 'dataset_version', value: 'churn@1' }] })).body.run.info.run_id as string;
    const labels = (await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent('churn@1')}`, { direction: 'downstream' })).body.nodes.map((n: { label: string }) => n.label);
    expect(labels).toEqual(expect.arrayContaining(['churn@1', `run baseline (${named.slice(0, 6)}…)`, 'churn-model v1', 'validation churn@1 passed']));
    const mermaid = (await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent('churn@1')}`, { direction: 'downstream', format: 'mermaid' })).body as string;
    expect(mermaid).toContain('["churn@1"]');
    expect(mermaid).toContain(`["run baseline (${named.slice(0, 6)}…)"]`);
    expect(mermaid).toContain('["churn-model v1"]');
    const dot = (await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent('churn@1')}`, { direction: 'downstream', format: 'dot' })).body as string;
    expect(dot).toContain(`"model_version:churn-model/1" [label="churn-model v1"];`);
    expect(dot).toContain(`[label="run baseline (${named.slice(0, 6)}…)"]`);

    // A label in the tag is resolved when the tag is logged: the run keeps the version `prod` meant then.
    expect((await api.call('PUT', `${V1}/datasets/churn/labels/prod`, { version: 1 })).status).toBe(200);
    const byLabel = (await api.post(`${M}/runs/create`, { experiment_id: exp, tags: [{ key: 'dataset_version', value: 'churn@prod' }] })).body.run.info.run_id as string;
    const tagsOf = async (id: string) => Object.fromEntries(((await api.get(`${M}/runs/get`, { run_id: id })).body.run.data.tags as { key: string; value: string }[]).map((t) => [t.key, t.value]));
    expect((await tagsOf(byLabel))['openexpert.dataset_version']).toBe('churn@1');
    expect((await api.call('PUT', `${V1}/datasets/churn/labels/prod`, { version: 2 })).status).toBe(200);
    const consumers = async (ref: string) => (await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent(ref)}`, { direction: 'downstream', depth: 1 })).body.nodes.map((n: { id: string }) => n.id);
    expect(await consumers('churn@1')).toContain(byLabel);
    expect(await consumers('churn@2')).not.toContain(byLabel);
    // A tag that names no version warns on the run instead of linking nothing silently.
    expect((await api.post(`${M}/runs/set-tag`, { run_id: byLabel, key: 'dataset_version', value: 'churn@nope' })).status).toBe(200);
    expect((await tagsOf(byLabel))['openexpert.warning.dataset_version']).toBe("dataset_version 'churn@nope' was not linked to this run: Dataset version 'churn@nope' does not exist");
  });

  it('diffs rows by key, checks distributions against another version, and rejects unknown references', async () => {
    // v1 ids 1, 2, 3; v2 ids 1, 1, 2 → id 3 removed, none added; same columns, and rows of 1 and 2 changed.
    const diff = (await api.get(`${V1}/datasets/churn/diff`, { from: '1', to: '2', key: 'id' })).body;
    expect(diff.rows).toEqual({ key: 'id', added: 0, removed: 1, changed: 2, columns: { compared: ['id', 'age'], added: [], removed: [] }, sample: { added: [], removed: ['3'], changed: ['1', '2'] } });
    expect((await api.get(`${V1}/datasets/churn/diff`, { from: '1', to: '2', key: 'nope' })).body.error.message).toBe("Key column 'nope' does not exist in 'train.csv'");

    // age: v2 holds 30 only, v1 30 and 41 → D = 1 − 1/2 = 1/2; no ordering of 1 value against 2 gives D < 1/2, so p = 1.
    const drift = { name: 'drift', expectations: [{ expectation_type: 'expect_column_ks_p_value_to_be_greater_than', kwargs: { column: 'age', reference: 'churn@1' } }] };
    const res = await api.post(`${V1}/datasets/churn/versions/2/validations`, { suite: drift });
    expect(res.body.result.results[0]).toMatchObject({ success: true, expectation_config: { kwargs: { threshold: 0.05 } }, result: { observed_value: 1, details: { statistic: 0.5 } } });
    const missingRef = await api.post(`${V1}/datasets/churn/versions/2/validations`, { suite: { ...drift, expectations: [{ ...drift.expectations[0], kwargs: { column: 'age', reference: 'churn@9' } }] } });
    expect([missingRef.status, missingRef.body.error.message]).toEqual([404, "Dataset version 'churn@9' does not exist"]);
    // The registered suite runs by name; a changed one becomes version 2.
    const byName = await api.post(`${V1}/datasets/churn/versions/1/validations`, { suiteName: 'drift' });
    expect(byName.body, JSON.stringify(byName.body)).toMatchObject({ suiteVersion: 1 });
    const changed = await api.post(`${V1}/validation-suites`, { ...drift, expectations: [...drift.expectations, ...SUITE.expectations] });
    expect([changed.status, changed.body.version]).toEqual([201, 2]);
    const again = await api.post(`${V1}/validation-suites`, { ...drift, expectations: [...drift.expectations, ...SUITE.expectations] });
    expect([again.status, again.body.version]).toEqual([200, 2]);
    expect((await api.get(`${V1}/validation-suites/drift/versions/latest`)).body.expectations).toHaveLength(3);
    expect((await api.post(`${V1}/datasets/churn/versions/1/validations`, { suiteName: 'drift', suiteVersion: 7 })).status).toBe(404);
  });

  it('profiles and validates a partitioned dataset as a whole, each part on request, and reports columns that differ between parts', async () => {
    // part-0: 2 rows; part-1: 3 rows, a new column `score`, and id 2 again.
    const parts = [{ path: 'part-0.csv', content: b64('id,age\n1,30\n2,40\n') }, { path: 'part-1.csv', content: b64('id,age,score\n2,50,0.5\n3,60,0.25\n4,,1\n') }, { path: 'meta.json', content: b64('{"source": "crm"}') }];
    const added = await api.post(`${V1}/datasets`, { name: 'events', files: parts });
    expect(added.status).toBe(201);
    const v = added.body.version;
    expect(v.rowCount).toBe(5);
    expect(v.parts.map((p: { path: string; rowCount: number }) => [p.path, p.rowCount])).toEqual([['part-0.csv', 2], ['part-1.csv', 3]]);
    expect(v.schemaDifferences).toEqual([{ column: 'score', missingFrom: ['part-0.csv'], types: { DOUBLE: ['part-1.csv'] } }]);
    // ages 30, 40, 50, 60 (one null): mean 45, linear quartiles 37.5 / 45 / 52.5; ids 1, 2, 2, 3, 4: 4 distinct.
    const age = v.profile.find((c: { name: string }) => c.name === 'age');
    expect(age).toMatchObject({ nullCount: 1, distinctCount: 4, mean: 45, q25: 37.5, q50: 45, q75: 52.5 });
    expect(v.profile.find((c: { name: string }) => c.name === 'id').distinctCount).toBe(4);
    const sheet = (await api.get(`${V1}/datasets/events/datasheet`)).body.sections.composition;
    expect(sheet).toContain('Version 1: 5 rows in 3 file(s)');
    expect(sheet).toContain('The table is stored in 2 parts: `part-0.csv` (2 rows), `part-1.csv` (3 rows).');
    expect(sheet).toContain('Columns that differ between parts: `score` missing from `part-0.csv`.');

    const suite = { name: 'events', expectations: [
      { expectation_type: 'expect_table_row_count_to_be_between', kwargs: { min_value: 5, max_value: 5 } },
      { expectation_type: 'expect_column_values_to_be_unique', kwargs: { column: 'id' } },
    ] };
    const whole = (await api.post(`${V1}/datasets/events/versions/1/validations`, { suite })).body.result;
    // The whole: 5 rows, and id 2 is in both parts, so its two rows are unexpected.
    expect(whole.results.map((r: { success: boolean }) => r.success)).toEqual([true, false]);
    expect(whole.results[1].result).toMatchObject({ unexpected_count: 2, partial_unexpected_list: [2, 2] });
    const part = (await api.post(`${V1}/datasets/events/versions/1/validations`, { suite, file: 'part-1.csv' })).body.result;
    expect(part.results.map((r: { success: boolean; result: { observed_value?: number } }) => [r.success, r.result.observed_value ?? null])).toEqual([[false, 3], [true, null]]);
  });

  it('compares rows by key across added and removed columns, on the columns both versions have', async () => {
    await api.post(`${V1}/datasets`, { name: 'wide', files: [{ path: 'w.csv', content: b64('id,a,b\n1,1,x\n2,2,y\n3,3,z\n') }] });
    // v2 drops b, adds c; id 1 unchanged on a, id 2 changed on a, id 3 removed, id 4 added.
    await api.post(`${V1}/datasets`, { name: 'wide', files: [{ path: 'w.csv', content: b64('id,a,c\n1,1,p\n2,20,q\n4,4,r\n') }] });
    const diff = (await api.get(`${V1}/datasets/wide/diff`, { from: '1', to: '2', key: 'id' })).body;
    expect(diff.addedColumns).toEqual([{ name: 'c', type: 'VARCHAR' }]);
    expect(diff.removedColumns).toEqual([{ name: 'b', type: 'VARCHAR' }]);
    expect(diff.rows).toEqual({
      key: 'id', added: 1, removed: 1, changed: 1,
      columns: { compared: ['id', 'a'], added: ['c'], removed: ['b'] },
      sample: { added: ['4'], removed: ['3'], changed: ['2'] },
    });
  });

  it('leaves nothing in the blob store after a refused add, and collects unreferenced blobs without touching content in use', async () => {
    const blobs = path.join(server.home, 'artifacts', 'datasets', 'blobs');
    const blobFile = (content: string) => path.join(blobs, sha(content).slice(0, 2), sha(content));
    // Inline content of a refused add: two corrupt Parquet files and a ragged CSV.
    const corrupt = [{ path: 'a.parquet', content: b64('PAR1 not really') }, { path: 'b.parquet', content: b64('junk') }];
    expect((await api.post(`${V1}/datasets`, { name: 'refused', files: corrupt })).status).toBe(400);
    expect((await api.post(`${V1}/datasets`, { name: 'refused', files: [{ path: 'r.csv', content: b64('a,b\n1,2\n3,4,5\n6,7\n') }] })).status).toBe(400);
    for (const content of ['PAR1 not really', 'junk', 'a,b\n1,2\n3,4,5\n6,7\n']) expect(fs.existsSync(blobFile(content)), content).toBe(false);
    // Content uploaded first (as `data add` does) for an add refused for another reason goes too.
    const uploaded = 'id\n1\n2\n';
    const put = await fetch(`${server.url}${V1}/datasets/refused/blobs/${sha(uploaded)}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: uploaded });
    expect(put.status).toBe(201);
    const refused = await api.post(`${V1}/datasets`, { name: 'refused', files: [{ path: 'ids.csv', sha256: sha(uploaded), size: uploaded.length }], derivedFrom: ['nothing@1'] });
    expect(refused.status).toBe(404);
    expect(fs.existsSync(blobFile(uploaded))).toBe(false);
    // Content another version holds stays when an add naming it is refused.
    expect((await api.post(`${V1}/datasets`, { name: 'refused', files: [{ path: 'train.csv', content: b64(TRAIN) }], derivedFrom: ['nothing@1'] })).status).toBe(404);
    expect(fs.existsSync(blobFile(TRAIN))).toBe(true);

    // An orphan (as a server killed mid-add leaves), and an upload whose add has not come yet.
    const orphan = 'left behind by a crash\n';
    fs.mkdirSync(path.dirname(blobFile(orphan)), { recursive: true });
    fs.writeFileSync(blobFile(orphan), orphan);
    const pending = 'id\n7\n';
    expect((await fetch(`${server.url}${V1}/datasets/later/blobs/${sha(pending)}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: pending })).status).toBe(201);
    const dry = (await api.post(`${V1}/datasets/gc`, { dryRun: true })).body;
    expect(dry).toMatchObject({ dryRun: true, removed: 1, bytesFreed: orphan.length, inUse: 1 });
    expect(fs.existsSync(blobFile(orphan))).toBe(true);
    const done = (await api.post(`${V1}/datasets/gc`, {})).body;
    expect(done).toMatchObject({ dryRun: false, removed: 1, bytesFreed: orphan.length, inUse: 1 });
    expect(fs.existsSync(blobFile(orphan))).toBe(false);
    expect(fs.existsSync(blobFile(TRAIN))).toBe(true);
    // The pending upload survived, and its add takes it.
    expect((await api.post(`${V1}/datasets`, { name: 'later', files: [{ path: 'l.csv', sha256: sha(pending), size: pending.length }] })).status).toBe(201);
    expect((await api.post(`${V1}/datasets/gc`, { dryRun: 'yes' })).body.error.message).toContain("'dryRun'");
  });

  it('keeps every version readable while garbage collection runs beside 20 concurrent adds', async () => {
    const adds = Array.from({ length: 20 }, async (_, i) => {
      // Half the adds share content, so one add's clean-up could hit another's blob if claims did not hold.
      const content = `id,v\n${i % 10},${i}\n`;
      const shared = `shared\n${i % 2}\n`;
      for (const c of [content, shared]) {
        const res = await fetch(`${server.url}${V1}/datasets/busy${i}/blobs/${sha(c)}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: c });
        expect(res.status).toBeLessThan(300);
      }
      const added = await api.post(`${V1}/datasets`, { name: `busy${i}`, files: [{ path: 'd.csv', sha256: sha(content), size: content.length }, { path: 's.txt', sha256: sha(shared), size: shared.length }] });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      // Refused adds of shared content run at the same time and clean up after themselves.
      await api.post(`${V1}/datasets`, { name: `busy${i}`, files: [{ path: 's.txt', content: b64(shared) }], derivedFrom: ['nothing@1'] });
    });
    let collecting = true;
    const collector = (async () => {
      let runs = 0;
      while (collecting || runs === 0) {
        expect((await api.post(`${V1}/datasets/gc`, {})).status).toBe(200);
        runs++;
      }
      return runs;
    })();
    await Promise.all(adds);
    collecting = false;
    expect(await collector).toBeGreaterThan(0);
    await api.post(`${V1}/datasets/gc`, {});
    for (let i = 0; i < 20; i++) {
      for (const p of ['d.csv', 's.txt']) {
        const res = await fetch(`${server.url}${V1}/datasets/busy${i}/versions/1/file?path=${p}`);
        expect(res.status, `busy${i} ${p}`).toBe(200);
        await res.text();
      }
    }
  }, 120_000);

  it('keeps a datasheet: drafted from what the platform knows until people write it, exported as Markdown', async () => {
    const drafted = (await api.get(`${V1}/datasets/churn/datasheet`)).body;
    expect(drafted.drafted).toEqual(['motivation', 'composition', 'collection', 'preprocessing', 'uses', 'distribution', 'maintenance']);
    expect(drafted.sections.composition).toContain('Version 2: 3 rows in 1 file(s)');
    expect(drafted.sections.maintenance).toContain('| 1 |');
    const written = await api.call('PUT', `${V1}/datasets/churn/datasheet`, { sections: { motivation: 'Predict churn for the retention team.' } });
    expect(written.body).toMatchObject({ drafted: ['composition', 'collection', 'preprocessing', 'uses', 'distribution', 'maintenance'], sections: { motivation: 'Predict churn for the retention team.' }, updatedBy: expect.any(String) });
    const markdown = await api.get(`${V1}/datasets/churn/datasheet`, { format: 'markdown' });
    expect(markdown.body).toMatch(/^# Datasheet: churn\n/);
    expect(markdown.body).toContain('## Motivation\n\nPredict churn for the retention team.');
    expect((await api.call('PUT', `${V1}/datasets/churn/datasheet`, { sections: { purpose: 'x' } })).body.error.message).toBe('Invalid value for parameter \'sections\': Unrecognized key: "purpose"');
    expect((await api.get(`${V1}/datasets/nothing/datasheet`)).status).toBe(404);
  });

  it('records derived versions with the run that made them', async () => {
    const made = await api.post(`${V1}/datasets`, { name: 'churn-clean', files: [{ path: 'c.csv', content: b64('id\n1\n') }], derivedFrom: ['churn@1'], producedBy: 'cleaning-run' });
    expect(made.status).toBe(201);
    const up = (await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent('churn-clean@1')}`, { direction: 'upstream', depth: 2 })).body;
    expect(up.edges.map((e: { from: { kind: string }; relation: string; to: { kind: string } }) => `${e.from.kind} ${e.relation} ${e.to.kind}`).sort())
      .toEqual(['dataset_version consumed run', 'dataset_version derived_from dataset_version', 'run produced dataset_version']);
    expect((await api.post(`${V1}/datasets`, { name: 'x', files: [{ path: 'c.csv', content: b64('id\n1\n') }], derivedFrom: ['churn@7'] })).status).toBe(404);
    expect((await api.get(`${V1}/datasets/x/versions`)).status).toBe(404);
  });

  it('records generic edges and answers in DOT', async () => {
    expect((await api.post(`${V1}/lineage/edges`, { edges: [{ from: { kind: 'dataset_version', id: 'churn@1' }, to: { kind: 'dataset_version', id: 'churn@2' }, relation: 'derived_from' }] })).status).toBe(200);
    const dot = await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent('churn@2')}`, { direction: 'upstream', depth: 1, format: 'dot' });
    expect(dot.body).toMatch(/^digraph lineage \{/);
    expect(dot.body).toContain('[label="derived_from"]');
    expect((await api.post(`${V1}/lineage/edges`, { edges: [{ from: { kind: 'Bad Kind', id: 'x' }, to: { kind: 'run', id: 'y' }, relation: 'consumed' }] })).body.error.message).toContain('edges.0.from.kind');
  });
});
