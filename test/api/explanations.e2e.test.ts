import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonClient } from '../support/http.js';
import { linearModel, randomTrees, treeEnsembleModel } from '../support/onnx-models.js';
import { startTestServer } from '../support/server.js';
import { OpenExpert } from '../../src/sdk/index.js';

/**
 * Explanations over HTTP: ONNX models registered through the MLflow API, explained on inline data, the
 * results stored with the version and shown in its model card. Reference values are computed here by hand.
 */
const mlmodel = (features: number, output: string, outputShape: string) => `flavors:
  onnx:
    model_file: model.onnx
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, ${features}]}, "name": "x"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": ${outputShape}}, "name": "${output}"}]'
`;

const W = [2, -1, 0.5];
const columns = (n: number, m: number, seed: number) => {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.round((s / 2 ** 31) * 1000) / 100;
  };
  const rows = Array.from({ length: n }, () => Array.from({ length: m }, next));
  return { rows, columns: Object.fromEntries(Array.from({ length: m }, (_, j) => [`f${j}`, rows.map((r) => r[j]!)])) };
};

describe('explanations over HTTP', () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof jsonClient>;
  const trees = randomTrees({ seed: 5, trees: 6, depth: 3, features: 4, rows: 120 });
  const classifierTrees = randomTrees({ seed: 8, trees: 3, depth: 3, features: 4, rows: 120, targets: 2 });

  const register = async (name: string, files: { mlmodel: string; onnx: Uint8Array }) => {
    for (const [file, body] of [['MLmodel', files.mlmodel], ['model.onnx', files.onnx]] as const) {
      expect((await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/models/${name}/${file}`, { method: 'PUT', body })).status).toBe(200);
    }
    expect((await api.post('/api/2.0/mlflow/registered-models/create', { name })).status).toBe(200);
    expect((await api.post('/api/2.0/mlflow/model-versions/create', { name, source: `mlflow-artifacts:/models/${name}` })).status).toBe(200);
  };

  beforeAll(async () => {
    server = await startTestServer();
    api = jsonClient(server.url);
    await register('linear', { mlmodel: mlmodel(3, 'y', '[-1, 1]'), onnx: linearModel([W], [3]) });
    await register('forest', { mlmodel: mlmodel(4, 'variable', '[-1, 1]'), onnx: treeEnsembleModel({ kind: 'regressor', features: 4, trees, hitrates: 'covers' }) });
    await register('classifier', {
      mlmodel: mlmodel(4, 'probabilities', '[-1, 2]'),
      onnx: treeEnsembleModel({ kind: 'classifier', features: 4, trees: classifierTrees, classes: [0, 1], hitrates: 'ones' }),
    });
    expect((await api.post('/api/2.0/mlflow/registered-models/alias', { name: 'forest', alias: 'candidate', version: '1' })).body).toEqual({});
  });
  afterAll(async () => server?.close());

  it('gives exact Kernel SHAP values w_i (x_i − E[x_i]) for a linear model, and permutation importance with intervals', async () => {
    const { rows, columns: data } = columns(30, 3, 1);
    const y = rows.map((r) => 3 + r.reduce((s, v, i) => s + W[i]! * v, 0));
    const r = await api.post('/api/v1/explanations', {
      model: 'linear', version: 1, data: { columns: { ...data, y }, name: 'sample.csv' }, label: 'y', rows: 5, background: 30, seed: 1,
    });
    expect(r.status).toBe(201);
    const e = r.body;
    expect(e.spec.methods).toEqual(['permutation', 'kernel_shap', 'partial_dependence']);
    expect(e.result.features).toEqual(['f0', 'f1', 'f2']);
    expect(e.result.kernelShap).toMatchObject({ exact: true, coalitions: 6, backgroundRows: 30 });
    const means = [0, 1, 2].map((j) => rows.reduce((s, row) => s + Math.fround(row[j]!), 0) / 30);
    (e.result.rows as number[]).forEach((row, k) => {
      const values = e.result.kernelShap.values[k] as number[];
      values.forEach((phi, i) => expect(phi).toBeCloseTo(W[i]! * (Math.fround(rows[row]![i]!) - means[i]!), 4));
    });
    expect(e.result.kernelShap.additivityError).toBeLessThan(1e-9);
    const perm = e.result.permutation;
    expect(perm).toMatchObject({ metric: 'r2', greaterIsBetter: true, repeats: 5 });
    expect(perm.baseline).toBeCloseTo(1, 5);
    const byFeature = Object.fromEntries((perm.importances as { feature: string; mean: number; ci: { lower: number; upper: number } }[]).map((i) => [i.feature, i]));
    expect(byFeature.f0!.mean).toBeGreaterThan(byFeature.f2!.mean);
    expect(byFeature.f0!.ci.lower).toBeLessThanOrEqual(byFeature.f0!.mean);
    // Partial dependence of a linear model: slope w_j over the grid.
    const pd = (e.result.partialDependence as { feature: string; grid: number[]; average: number[] }[]).find((p) => p.feature === 'f1')!;
    const slope = (pd.average.at(-1)! - pd.average[0]!) / (pd.grid.at(-1)! - pd.grid[0]!);
    expect(slope).toBeCloseTo(-1, 4);

    const again = await api.post('/api/v1/explanations', { model: 'linear', version: 1, data: { columns: { ...data, y } }, label: 'y', rows: 5, background: 30, seed: 1 });
    expect(again.body.result.permutation).toEqual(perm);
  });

  it('computes exact TreeSHAP for an ONNX tree ensemble named by alias: additive to the model\'s own output', async () => {
    const { columns: data } = columns(40, 4, 2);
    const r = await api.post('/api/v1/explanations', { model: 'forest', version: 'candidate', data: { columns: data }, methods: ['tree_shap', 'kernel_shap'], rows: 10 });
    expect(r.status).toBe(201);
    const t = r.body.result.treeShap;
    expect(t).toMatchObject({ space: 'output', covers: 'model', trees: 6, postTransform: 'NONE' });
    (r.body.result.predictions as number[]).forEach((p, k) => {
      // The trees' sum as TreeSHAP computes it is what onnxruntime answers.
      expect(t.predictions[k]).toBeCloseTo(p, 5);
      expect((t.values[k] as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(p - t.expectedValue, 5);
    });
    expect(r.body.result.notes).toEqual([]);
  });

  it('explains a tree classifier\'s probability of a class, with covers from the data when the file has none', async () => {
    const { columns: data } = columns(50, 4, 3);
    const r = await api.post('/api/v1/explanations', { model: 'classifier', version: 1, data: { columns: data }, methods: ['tree_shap'], targetClass: '1', rows: 8 });
    expect(r.status).toBe(201);
    const t = r.body.result.treeShap;
    expect(r.body.result.output).toEqual({ name: 'probabilities', column: 1, class: '1' });
    expect(t.covers).toBe('data');
    (r.body.result.predictions as number[]).forEach((p, k) => {
      expect((t.values[k] as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(p - t.expectedValue, 5);
    });
    expect(r.body.result.notes.join(' ')).toMatch(/no node covers/);
  });

  it('lists a version\'s explanations, returns one whole, and puts the newest in the model card', async () => {
    const list = await api.get('/api/v1/explanations?model=linear&version=1');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    const one = await api.get(`/api/v1/explanations/${list.body.items[0].id}`);
    expect(one.status).toBe(200);
    expect(one.body.result.kernelShap.values).toHaveLength(5);
    const card = await api.get('/api/v1/models/linear/versions/1/card');
    expect(card.status).toBe(200);
    const section = card.body.sections.find((s: { id: string }) => s.id === 'feature_attributions');
    expect(section.blocks[1].columns).toEqual(['feature', 'mean |Kernel SHAP|', 'permutation importance (r2, 95% CI)']);
    expect(section.blocks[1].rows[0][0]).toBe('f0');
  });

  it('is there through the SDK', async () => {
    const oe = new OpenExpert({ url: server.url });
    const { columns: data } = columns(12, 3, 6);
    const e = await oe.explanations.explain({ model: 'linear', version: 1, data: { columns: data }, methods: ['kernel_shap'], rows: 2 });
    expect(e.result.kernelShap?.values).toHaveLength(2);
    expect((await oe.explanations.get(e.id)).id).toBe(e.id);
    expect((await oe.explanations.list('linear', 1))[0]!.id).toBe(e.id);
  });

  it('refuses what it cannot do with a clear 4xx', async () => {
    const { columns: data } = columns(10, 3, 4);
    const tree = await api.post('/api/v1/explanations', { model: 'linear', version: 1, data: { columns: data }, methods: ['tree_shap'] });
    expect(tree.status).toBe(400);
    expect(tree.body.error.message).toMatch(/TreeSHAP needs an ONNX TreeEnsemble/);
    const perm = await api.post('/api/v1/explanations', { model: 'linear', version: 1, data: { columns: data }, methods: ['permutation'] });
    expect(perm.body.error.message).toMatch(/needs the true target/);
    const wide = await api.post('/api/v1/explanations', { model: 'linear', version: 1, data: { columns: { ...data, extra: data.f0 } } });
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toMatch(/takes 3 features but 4 columns/);
    expect((await api.post('/api/v1/explanations', { model: 'nope', version: 1, data: { columns: data } })).status).toBe(404);
    expect((await api.get('/api/v1/explanations')).status).toBe(400);
  });
});
