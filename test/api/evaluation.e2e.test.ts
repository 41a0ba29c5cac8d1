import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { startTestServer } from '../support/server.js';

/**
 * Evaluations over HTTP: logged to the run as MLflow metrics, an evaluation input and report artifacts;
 * bad input rejected with the column named and nothing stored; promotion checks from evaluations,
 * fairness audits and comparisons; model cards regenerated with their human-written fields kept.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let api: ReturnType<typeof jsonClient>;
const M = '/api/2.0/mlflow';
const V1 = '/api/v1';

beforeAll(async () => {
  server = await startTestServer();
  api = jsonClient(server.url);
});
afterAll(() => server.close());

/** 400 rows: a score that separates the classes well for men and less well for women. */
function predictions(seed = 7) {
  let x = seed;
  const next = () => (x = (x * 16807) % 2147483647) / 2147483647;
  const y: number[] = [];
  const p: number[] = [];
  const p2: number[] = [];
  const sex: string[] = [];
  for (let i = 0; i < 400; i++) {
    const male = i % 2 === 0;
    const label = next() < 0.5 ? 1 : 0;
    const noise = next();
    y.push(label);
    sex.push(male ? 'male' : 'female');
    p.push(Math.round(Math.min(1, Math.max(0, (male ? 0.25 : 0.15) + label * (male ? 0.5 : 0.3) + noise * 0.3)) * 1000) / 1000);
    p2.push(Math.round(Math.min(1, Math.max(0, 0.3 + label * 0.2 + noise * 0.4)) * 1000) / 1000);
  }
  return { y, p, p2, sex };
}

async function newRun(name: string): Promise<{ runId: string; experimentId: string }> {
  const experimentId = (await api.post(`${M}/experiments/create`, { name })).body.experiment_id as string;
  const runId = (await api.post(`${M}/runs/create`, { experiment_id: experimentId })).body.run.info.run_id as string;
  return { runId, experimentId };
}

describe('evaluations over HTTP', () => {
  it('evaluates, stores, logs metrics, an evaluation input and report artifacts to the run', async () => {
    const { runId } = await newRun('eval-basic');
    const d = predictions();
    const res = await api.post(`${V1}/evaluations`, {
      runId, name: 'holdout', task: 'binary', label: 'y', score: 'p', sensitive: ['sex'], privileged: { sex: ['male'] },
      data: { columns: { y: d.y, p: d.p, sex: d.sex } }, bootstrap: { resamples: 200, seed: 3 },
    });
    expect(res.status).toBe(201);
    const e = res.body;
    expect(e).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), name: 'holdout', task: 'binary', runId, dataset: { name: 'holdout', source: 'inline', rows: 400 } });
    expect(e.result.metrics.roc_auc.ci.lower).toBeLessThan(e.result.metrics.roc_auc.value);
    expect(e.result.fairness.attributes[0].aif360.disparate_impact.value).toBeGreaterThan(0);

    const run = (await api.get(`${M}/runs/get`, { run_id: runId })).body.run;
    const logged = new Map(run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value]));
    expect(logged.get('roc_auc')).toBe(e.result.metrics.roc_auc.value);
    expect(logged.get('accuracy_score')).toBe(e.result.metrics.accuracy_score.value);
    expect(logged.get('fairness_sex_aif360_disparate_impact')).toBe(e.result.fairness.attributes[0].aif360.disparate_impact.value);
    expect(run.inputs.dataset_inputs).toEqual([expect.objectContaining({ dataset: expect.objectContaining({ name: 'holdout', digest: e.dataset.digest }), tags: [{ key: 'mlflow.data.context', value: 'evaluation' }] })]);

    const listed = await api.get(`${M.replace('mlflow', 'mlflow-artifacts')}/artifacts`, { path: e.artifacts.html.split('/').slice(0, -1).join('/') });
    expect(listed.body.files.map((f: { path: string }) => f.path).sort()).toEqual(['evaluation.json', 'report.html']);
    const html = await fetch(`${server.url}${V1}/evaluations/${e.id}/report.html`);
    expect(html.headers.get('content-type')).toContain('text/html');
    const text = await html.text();
    expect(text).toContain('<svg');
    expect(text).toContain('disparate_impact');

    const list = await api.get(`${V1}/evaluations`, { runId });
    expect(list.body.items).toEqual([expect.objectContaining({ id: e.id, metrics: expect.objectContaining({ roc_auc: e.result.metrics.roc_auc.value }) })]);
  });

  it('reads the rows from a run artifact (CSV) by a path relative to the run', async () => {
    const { runId, experimentId } = await newRun('eval-artifact');
    const csv = 'y,yhat\n3,2.5\n-0.5,0\n2,2\n7,8\n';
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/eval/preds.csv`, { method: 'PUT', body: csv });
    expect(put.status).toBe(200);
    const res = await api.post(`${V1}/evaluations`, { runId, task: 'regression', label: 'y', prediction: 'yhat', data: { artifactPath: 'eval/preds.csv' }, bootstrap: { resamples: 0 } });
    expect(res.status).toBe(201);
    // scikit-learn's documented example: MAE 0.5, MSE 0.375, R² 0.9486…
    expect(res.body.result.metrics.mean_absolute_error.value).toBeCloseTo(0.5, 12);
    expect(res.body.result.metrics.r2_score.value).toBeCloseTo(0.9486081370449679, 12);
    expect(res.body.dataset).toMatchObject({ name: 'preds.csv', rows: 4, source: `${experimentId}/${runId}/artifacts/eval/preds.csv` });
  });

  it('evaluates a dataset version and links it in the lineage graph: dataset version → evaluation → model version', async () => {
    const { runId } = await newRun('eval-lineage');
    expect((await api.post(`${V1}/models`, { name: 'lineage-model' })).status).toBe(201);
    expect((await api.post(`${V1}/models/lineage-model/versions`, { source: `runs:/${runId}/model`, runId })).status).toBe(201);
    const csv = 'y,p\n0,0.1\n0,0.4\n1,0.35\n1,0.8\n';
    expect((await api.post(`${V1}/datasets`, { name: 'eval-set', files: [{ path: 'preds.csv', content: Buffer.from(csv).toString('base64') }] })).status).toBe(201);
    const res = await api.post(`${V1}/evaluations`, {
      model: { name: 'lineage-model', version: 1 }, task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 0 }, data: { dataset: 'eval-set@1' },
    });
    expect(res.status).toBe(201);
    expect(res.body.runId).toBe(runId);
    expect(res.body.dataset).toMatchObject({ name: 'eval-set@1', source: 'dataset:eval-set@1/preds.csv', rows: 4 });
    expect(res.body.result.metrics.roc_auc.value).toBe(0.75);
    const down = await api.get(`${V1}/lineage/dataset_version/${encodeURIComponent('eval-set@1')}`, { direction: 'downstream' });
    expect(down.body.nodes.map((n: { kind: string; id: string }) => [n.kind, n.id])).toEqual(expect.arrayContaining([
      ['evaluation', res.body.id], ['model_version', 'lineage-model/1'],
    ]));
    const missing = await api.post(`${V1}/evaluations`, { task: 'binary', label: 'y', score: 'p', data: { dataset: 'eval-set@1', file: 'nope.csv' } });
    expect([missing.status, missing.body.error.message]).toEqual([400, expect.stringContaining("has no file 'nope.csv'")]);
  });

  it('rejects bad input naming the column, and stores nothing', async () => {
    const { runId } = await newRun('eval-bad');
    const before = (await api.get(`${V1}/evaluations`, { runId })).body.items.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ task: 'binary', label: 'y', score: 'nope', data: { columns: { y: [0, 1], p: [0.1, 0.9] } } }, "Column 'nope' is not in the data"],
      [{ task: 'binary', label: 'y', score: 'p', data: { columns: { y: [0, 1], p: [0.1, 1.4] } } }, "Column 'p' (score) has 1 values outside [0, 1]"],
      [{ task: 'binary', label: 'y', score: 'p', classes: ['0', '1'], data: { columns: { y: [0, 2], p: [0.1, 0.4] } } }, "Column 'y' (label) has values outside the classes [0, 1]: '2'"],
      [{ task: 'binary', label: 'y', score: 'p', data: { columns: { y: [0, 1, 1], p: [0.1, 0.4] } } }, "Column 'p' has 2 values but column 'y' has 3"],
      [{ task: 'binary', label: 'y', score: 'p', data: { columns: { y: [0, 1], p: [0.1, null] } } }, "Column 'p' (score) has 1 missing"],
      [{ task: 'regression', label: 'y', prediction: 'yhat', data: { columns: { y: [1, 2], yhat: ['a', 'b'] } } }, "Column 'yhat' (prediction) must be numeric"],
      [{ task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: -1 }, data: { columns: { y: [0, 1], p: [0.1, 0.9] } } }, "'bootstrap.resamples'"],
      [{ task: 'binary', label: 'y', score: 'p', sensitive: ['sex'], privileged: { sex: ['men'] }, data: { columns: { y: [0, 1], p: [0.1, 0.9], sex: ['m', 'f'] } } }, "'men' does not occur in column 'sex'"],
    ];
    for (const [body, message] of cases) {
      const res = await api.post(`${V1}/evaluations`, { runId, ...body });
      expect([res.status, res.body.error.code], message).toEqual([400, 'INVALID_PARAMETER_VALUE']);
      expect(res.body.error.message).toContain(message);
    }
    expect((await api.get(`${V1}/evaluations`, { runId })).body.items.length).toBe(before);
    expect((await api.get(`${M}/runs/get`, { run_id: runId })).body.run.data.metrics ?? []).toEqual([]);
    expect((await api.get(`${V1}/evaluations/${'0'.repeat(32)}`)).status).toBe(404);
  });
});

describe('promotion evidence and model cards', () => {
  async function registered(name: string) {
    const { runId } = await newRun(`exp-${name}`);
    expect((await api.post(`${V1}/models`, { name })).status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await api.post(`${V1}/models/${name}/versions`, { source: `runs:/${runId}/model`, runId })).status).toBe(201);
    return runId;
  }

  it('gates on metric thresholds, fairness thresholds and the comparison with the current holder', async () => {
    await registered('scorer');
    const d = predictions();
    const common = { task: 'binary', label: 'y', sensitive: ['sex'], privileged: { sex: ['male'] }, bootstrap: { resamples: 100 }, data: { name: 'holdout', columns: { y: d.y, p: d.p, p2: d.p2, sex: d.sex } } };
    const v2 = (await api.post(`${V1}/evaluations`, { ...common, model: { name: 'scorer', version: 2 }, score: 'p' })).body;
    expect((await api.post(`${V1}/evaluations`, { ...common, model: { name: 'scorer', version: 1 }, score: 'p2' })).status).toBe(201);
    const auc = v2.result.metrics.roc_auc.value as number;
    const di = v2.result.fairness.attributes[0].aif360.disparate_impact.value as number;

    const setPolicy = (checks: unknown[]) => api.call('PUT', `${V1}/models/scorer/policy`, { stages: { Staging: { checks } } });
    const checks = async (version: number) => (await api.get(`${V1}/models/scorer/versions/${version}/checks`, { target: 'Staging' })).body;

    expect((await setPolicy([
      { type: 'evidence', provider: 'evaluation', params: { dataset: 'holdout', thresholds: [{ metric: 'roc_auc', op: '>=', value: auc - 0.01 }] } },
      { type: 'evidence', provider: 'fairness', params: { thresholds: [{ metric: 'disparate_impact', min: di - 0.01, max: 1.25 }] } },
    ])).status).toBe(200);
    expect(await checks(2)).toMatchObject({ passed: true });
    expect((await setPolicy([{ type: 'evidence', provider: 'evaluation', params: { metric: 'roc_auc', op: '>=', value: auc + 0.01 } }])).status).toBe(200);
    const failed = await checks(2);
    expect(failed.passed).toBe(false);
    expect(failed.checks[0].detail).toContain(`roc_auc = ${auc}, needs >= ${auc + 0.01}`);
    expect((await setPolicy([{ type: 'evidence', provider: 'fairness', params: { thresholds: [{ metric: 'disparate_impact', min: di + 0.01 }] } }])).status).toBe(200);
    expect((await checks(2)).checks[0]).toMatchObject({ passed: false, detail: expect.stringContaining('sex: disparate_impact') });

    // Version 1 takes Staging freely; version 2 must then not be worse on AUC than version 1.
    expect((await setPolicy([])).status).toBe(200);
    expect((await api.post(`${M}/model-versions/transition-stage`, { name: 'scorer', version: '1', stage: 'Staging' })).status).toBe(200);
    expect((await setPolicy([{ type: 'evidence', provider: 'comparison', params: { metric: 'roc_auc' } }])).status).toBe(200);
    expect((await checks(2)).checks[0]).toMatchObject({ passed: true, detail: expect.stringContaining('(same data, unpaired)') });
    const cmp = await api.post(`${V1}/comparisons`, {
      task: 'binary', label: 'y', score: 'p', candidate: { name: 'scorer', version: 2 }, baseline: { name: 'scorer', version: 1 },
      baselineColumns: { score: 'p2' }, bootstrap: { resamples: 200 }, data: { name: 'holdout', columns: { y: d.y, p: d.p, p2: d.p2 } },
    });
    expect(cmp.status).toBe(201);
    const delta = cmp.body.result.deltas.find((x: { metric: string }) => x.metric === 'roc_auc');
    expect(delta.delta.value).toBeGreaterThan(0);
    expect(cmp.body.result.mcnemar).toMatchObject({ exactPValue: expect.any(Number) });
    expect((await checks(2)).checks[0]).toMatchObject({ passed: true, detail: expect.stringContaining('(paired)') });
    // The other way round the candidate is worse: version 1 against version 2 holding Staging.
    expect((await api.post(`${V1}/comparisons`, {
      task: 'binary', label: 'y', score: 'p2', candidate: { name: 'scorer', version: 1 }, baseline: { name: 'scorer', version: 2 },
      baselineColumns: { score: 'p' }, bootstrap: { resamples: 50 }, data: { name: 'holdout', columns: { y: d.y, p: d.p, p2: d.p2 } },
    })).status).toBe(201);
    expect((await setPolicy([])).status).toBe(200);
    expect((await api.post(`${M}/model-versions/transition-stage`, { name: 'scorer', version: '2', stage: 'Staging', archive_existing_versions: true })).status).toBe(200);
    expect((await setPolicy([{ type: 'evidence', provider: 'comparison', params: { metric: 'roc_auc' } }])).status).toBe(200);
    expect((await checks(1)).checks[0]).toMatchObject({ passed: false, detail: expect.stringContaining('worse by more than 0') });
  });

  it('writes the model card from evidence and keeps human-written fields across regenerations', async () => {
    await registered('carded');
    const d = predictions(11);
    expect((await api.post(`${V1}/evaluations`, {
      model: { name: 'carded', version: 1 }, task: 'binary', label: 'y', score: 'p', sensitive: ['sex'], privileged: { sex: ['male'] },
      bootstrap: { resamples: 50 }, data: { name: 'holdout', columns: { y: d.y, p: d.p, sex: d.sex } },
    })).status).toBe(201);
    const patched = await api.call('PATCH', `${V1}/models/carded/versions/1/card`, { primaryUses: 'Ranking churn risk for retention offers.', license: 'Apache-2.0' });
    expect(patched.status).toBe(200);
    expect((await api.call('PATCH', `${V1}/models/carded/versions/1/card`, { bogus: 'x' })).status).toBe(400);
    const card = (await api.get(`${V1}/models/carded/versions/1/card`)).body;
    expect(card.sections.map((s: { id: string }) => s.id)).toEqual([
      'model_details', 'intended_use', 'factors', 'metrics', 'evaluation_data', 'training_data', 'quantitative_analyses', 'feature_attributions', 'ethical_considerations', 'caveats',
    ]);
    expect(card.human).toEqual({ primaryUses: 'Ranking churn risk for retention offers.', license: 'Apache-2.0' });
    const markdown = await (await fetch(`${server.url}${V1}/models/carded/versions/1/card?format=markdown`)).text();
    expect(markdown).toContain('# Model card: carded version 1');
    expect(markdown).toContain('Ranking churn risk for retention offers.');
    expect(markdown).toContain('sex (sensitive)');
    expect(markdown).toMatch(/\| roc_auc \| 0\.\d+ \[0\.\d+, 0\.\d+\] \|/);
    const html = await (await fetch(`${server.url}${V1}/models/carded/versions/1/card?format=html`)).text();
    // Every chart has a visible title naming what it shows and on which evaluation.
    expect(html).toMatch(/<figcaption>ROC curve, [^<]+<\/figcaption><svg [^>]*aria-label="ROC curve, /);
    expect(html).toMatch(/<figcaption>Selection rate by sex, [^<]+<\/figcaption>/);
    // A later evaluation regenerates the numbers; the human fields stay.
    expect((await api.post(`${V1}/evaluations`, { model: { name: 'carded', version: 1 }, task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 0 }, data: { name: 'fresh', columns: { y: d.y, p: d.p } } })).status).toBe(201);
    const again = await (await fetch(`${server.url}${V1}/models/carded/versions/1/card?format=markdown`)).text();
    expect(again).toContain('Evaluation fresh');
    expect(again).toContain('Ranking churn risk for retention offers.');
    expect((await api.get(`${V1}/models/carded/versions/9/card`)).status).toBe(404);
  });
});
