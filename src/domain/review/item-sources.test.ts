import { describe, expect, it } from 'vitest';
import type { PredictionRecord } from '../serving/types.js';
import { predictionItems } from './item-sources.js';
import type { ReviewQueue } from './types.js';

const queue = (lowConfidence?: { threshold: number; output?: string }): ReviewQueue => ({
  name: 'q', project: 'default', scope: 'deployment', target: 'loans', cursor: 0, createdBy: 'ann', createdAt: 0,
  spec: { labels: ['approve', 'reject'], reviewers: [], overlap: 0, reviewersPerItem: 2, ...(lowConfidence ? { lowConfidence } : {}) },
});

const record = (outputs: unknown): PredictionRecord => ({
  predictionId: 'p1', deployment: 'loans', modelName: 'loans', version: '1', time: 1000, latencyMs: 1,
  inputs: { float_input: { shape: [4, 2], data: [0.5, 0.4, 3, 0, 0, 3, 2, 2.1] } }, outputs,
});

/*
 * A sklearn-onnx classifier's outputs as the prediction log keeps them: `output_label` a tensor of labels and
 * `output_probability` the ZipMap, one map label → probability per row. The probabilities are scikit-learn's
 * LogisticRegression().fit(X, y).predict_proba on these four rows (X = [[0,0],[1,0],[2,1],[0,2],[3,3],[4,1],[1,3],[2,2]],
 * y = approve ×3, reject, reject, approve, reject, reject), rounded to 6 digits.
 */
const probabilities = [[0.758957, 0.241043], [0.921565, 0.078435], [0.068798, 0.931202], [0.321074, 0.678926]];
const zipMapOutputs = (labels: readonly string[]) => ({
  output_label: { shape: [4], data: ['approve', 'approve', 'reject', 'reject'] },
  output_probability: { shape: [4], data: probabilities.map((row) => Object.fromEntries(row.map((p, k) => [labels[k]!, p]))) },
});

describe('predictions with a ZipMap probability output', () => {
  it('reads the top class probability of each row as its confidence, and the label output as the answer', () => {
    const items = predictionItems([record(zipMapOutputs(['approve', 'reject']))], queue({ threshold: 0.8 }), 0);
    expect(items.map((i) => i.confidence)).toEqual([0.758957, 0.921565, 0.931202, 0.678926]);
    expect(items.map((i) => i.predicted)).toEqual(['approve', 'approve', 'reject', 'reject']);
    expect(items.filter((i) => i.confidence! < 0.8).map((i) => i.source.id)).toEqual(['p1/0', 'p1/3']);
  });

  it('gives each class probability as a field the rule can test', () => {
    const [first] = predictionItems([record(zipMapOutputs(['approve', 'reject']))], queue(), 0);
    expect(first!.fields).toEqual({ float_input_0: 0.5, float_input_1: 0.4, output_label: 'approve', output_probability_approve: 0.758957, output_probability_reject: 0.241043 });
  });

  it('answers with the most probable label when only the ZipMap is logged, integer class labels included', () => {
    const items = predictionItems([record({ output_probability: zipMapOutputs(['0', '1']).output_probability })], queue({ threshold: 0.8, output: 'output_probability' }), 0);
    expect(items.map((i) => [i.predicted, i.confidence])).toEqual([['0', 0.758957], ['0', 0.921565], ['1', 0.931202], ['1', 0.678926]]);
  });

  it('still reads a probability tensor', () => {
    const items = predictionItems([record({ probabilities: { shape: [4, 2], data: probabilities.flat() } })], queue({ threshold: 0.8 }), 0);
    expect(items.map((i) => [i.predicted, i.confidence])).toEqual([['0', 0.758957], ['0', 0.921565], ['1', 0.931202], ['1', 0.678926]]);
  });
});
