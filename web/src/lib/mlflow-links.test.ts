import { describe, expect, it } from 'vitest';
import { pathForMlflowHash } from './mlflow-links';

/** The links MLflow 3.11's client prints (mlflow/tracking/_tracking_service/client.py and the registry's), and MLflow UI routes. */
describe('links into MLflow\'s web UI open the same page here', () => {
  it.each([
    ['#/experiments/1/runs/0123456789abcdef0123456789abcdef', '/runs/0123456789abcdef0123456789abcdef'],
    ['#/experiments/1/runs/0123456789abcdef0123456789abcdef/artifacts/model', '/runs/0123456789abcdef0123456789abcdef'],
    ['#/experiments/1', '/experiments/1'],
    ['#/experiments/12?searchFilter=x', '/experiments/12'],
    ['#/models/churn/versions/3', '/models/churn/versions/3'],
    ['#/models/churn%20model', '/models/churn%20model'],
    ['#/models', '/models'],
  ])('%s → %s', (hash, path) => {
    expect(pathForMlflowHash(hash)).toBe(path);
  });

  it('leaves other hashes alone', () => {
    for (const hash of ['', '#', '#section', '#/unknown/page']) expect(pathForMlflowHash(hash)).toBeUndefined();
  });
});
