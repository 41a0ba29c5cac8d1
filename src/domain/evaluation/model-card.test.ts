import { describe, expect, it } from 'vitest';
import type { ModelVersion, RegisteredModel } from '../registry/types.js';
import { evaluatePredictions } from './evaluate.js';
import { buildModelCard, renderCardHtml, renderCardMarkdown } from './model-card.js';
import { inlineTable } from './predictions-table.js';
import { EvaluationSpecSchema, type EvaluationSpecInput } from './schemas.js';
import type { Evaluation } from './types.js';

const version: ModelVersion = {
  name: 'churn', version: 2, creationTime: 0, lastUpdatedTime: 0, currentStage: 'None', source: 'runs:/r/model', storageLocation: 'x', status: 'READY', tags: [], aliases: [],
};
const model: RegisteredModel = { name: 'churn', creationTime: 0, lastUpdatedTime: 0, tags: [], aliases: [], latestVersions: [] };

async function evaluation(id: string, name: string, columns: Record<string, unknown[]>, spec: EvaluationSpecInput): Promise<Evaluation> {
  const result = await evaluatePredictions(inlineTable(columns), EvaluationSpecSchema.parse(spec));
  return { id, name, task: result.task, dataset: { name, digest: id.padEnd(64, '0'), source: 'inline', rows: result.rows }, createdAt: 0, createdBy: 'alice', spec: {}, result };
}

/** 40 rows over sex × race, so the intersection has groups of 10. */
function people() {
  const sex: string[] = [];
  const race: string[] = [];
  const y: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < 40; i++) {
    sex.push(i % 2 ? 'male' : 'female');
    race.push(i % 4 < 2 ? 'white' : 'black');
    y.push(i % 3 === 0 ? 1 : 0);
    p.push(((i * 37) % 100) / 100);
  }
  return { sex, race, y, p };
}

describe('model card', () => {
  it('shows intersectional results, titles every chart, and warns about samples too small for their intervals', async () => {
    const d = people();
    const audit = await evaluation('e1', 'holdout', d, { task: 'binary', label: 'y', score: 'p', sensitive: ['sex', 'race'], privileged: { sex: ['male'], race: ['white'] }, slices: ['sex', 'race'], bootstrap: { resamples: 20 } });
    const tiny = await evaluation('e2', 'smoke', { y: [1], p: [0.9] }, { task: 'binary', label: 'y', score: 'p', bootstrap: { resamples: 20 } });
    // One row: every resample is that row, so accuracy 1 has the interval [1, 1]; the result says what that is worth.
    expect(tiny.result.metrics.accuracy_score).toMatchObject({ value: 1, ci: { lower: 1, upper: 1 } });
    expect(tiny.result.notes.join(' ')).toContain('Small sample: only 1 row was evaluated');
    // 10 rows in each sex × race slice group: below 30, named.
    expect(audit.result.notes.find((n) => n.startsWith('Small sample: slice groups'))).toContain('sex × race = female × black (10)');

    const card = buildModelCard({ model, version, evaluations: [audit, tiny], comparisons: [], history: [], generatedAt: 0 });
    const md = renderCardMarkdown(card);
    expect(md).toContain('Intersection sex × race: rates per group (reported, not gated).');
    expect(md).toContain('| sex × race = female × black | 10 |');
    expect(md).toContain('> ⚠ Small sample: only 1 row was evaluated');
    // The slice table of the intersection too.
    expect(md).toMatch(/\| sex × race \| rows \| accuracy_score \|/);

    const html = renderCardHtml(card, [audit, tiny]);
    const svgs = html.match(/<svg /g)!.length;
    const captions = [...html.matchAll(/<figure class="chart-figure"><figcaption>([^<]+)<\/figcaption><svg /g)].map((m) => m[1]);
    expect(captions).toHaveLength(svgs);
    expect(captions).toEqual(expect.arrayContaining(['ROC curve, holdout', 'Calibration curve, holdout', 'Selection rate by sex × race, holdout', 'ROC curve, smoke']));
    expect(html).toContain('<p class="warning" role="note">⚠ Small sample: only 1 row was');
  });
});
