import { describe, expect, it } from 'vitest';
import { compareMetrics, formatTolerance, paramDifferences, parseTolerance } from './comparison.js';
import { paramsOf } from './capture.js';

const m = (key: string, value: number) => ({ key, value, timestamp: 0, step: 0 });

describe('reproduction tolerances', () => {
  it('reads absolute margins, percentages and a default for the rest', () => {
    expect(parseTolerance('accuracy=0.01, loss=2%,*=1e-6')).toEqual({ accuracy: { abs: 0.01 }, loss: { rel: 0.02 }, '*': { abs: 1e-6 } });
    expect(formatTolerance(parseTolerance('accuracy=0.01,loss=2.5%'))).toBe('accuracy=0.01,loss=2.5%');
    expect(parseTolerance('')).toEqual({});
  });

  it('refuses margins it cannot read, naming them', () => {
    expect(() => parseTolerance('accuracy')).toThrow("Invalid tolerance 'accuracy': write metric=margin, e.g. accuracy=0.01 or loss=2%");
    expect(() => parseTolerance('loss=-1%')).toThrow("Invalid tolerance for 'loss': '-1%' is not a non-negative number");
    expect(() => parseTolerance('loss=abc')).toThrow("Invalid tolerance for 'loss': 'abc' is not a non-negative number");
  });

  it('judges each metric by its margin: absolute, relative to the original, exact by default, missing never within', () => {
    const result = compareMetrics(
      [m('accuracy', 0.9), m('loss', 0.5), m('f1', 0.8), m('auc', 0.7), m('nan', NaN)],
      [m('accuracy', 0.905), m('loss', 0.5101), m('f1', 0.8), m('extra', 1), m('nan', NaN)],
      { accuracy: { abs: 0.01 }, loss: { rel: 0.02 } },
    );
    const byKey = Object.fromEntries(result.map((r) => [r.key, r]));
    expect(byKey.accuracy).toMatchObject({ tolerance: '0.01', withinTolerance: true });
    expect(byKey.accuracy!.delta).toBeCloseTo(0.005, 12);
    // 2% of 0.5 is 0.01; 0.0101 is past it.
    expect(byKey.loss).toMatchObject({ tolerance: '2%', withinTolerance: false });
    expect(byKey.loss!.relativeDelta).toBeCloseTo(0.0202, 12);
    expect(byKey.f1).toMatchObject({ delta: 0, tolerance: 'exact', withinTolerance: true });
    expect(byKey.auc).toMatchObject({ original: 0.7, reproduced: null, delta: null, withinTolerance: false });
    expect(byKey.extra).toMatchObject({ original: null, reproduced: 1, withinTolerance: false });
    expect(byKey.nan!.withinTolerance).toBe(true);
    expect(result.map((r) => r.key)).toEqual(['accuracy', 'auc', 'extra', 'f1', 'loss', 'nan']);
  });

  it('treats a difference in the last bit as equal, not a larger one', () => {
    expect(compareMetrics([m('x', 0.1 + 0.2)], [m('x', 0.3)], {})[0]!.withinTolerance).toBe(true);
    expect(compareMetrics([m('x', 0.3)], [m('x', 0.3000001)], {})[0]!.withinTolerance).toBe(false);
  });

  it('reports parameters the rerun logged otherwise, and reads parameters off a command line', () => {
    const p = (key: string, value: string) => ({ key, value });
    expect(paramDifferences([p('lr', '0.01'), p('epochs', '10'), p('gone', 'x')], [p('lr', '0.02'), p('epochs', '10'), p('new', 'y')])).toEqual([
      { field: 'params.gone', original: 'x', reproduced: null },
      { field: 'params.lr', original: '0.01', reproduced: '0.02' },
      { field: 'params.new', original: null, reproduced: 'y' },
    ]);
    expect(paramsOf(['python3', 'train.py', '--lr', '0.01', '--epochs=10', '--verbose', '-n', '5', 'data.csv', '--dry-run'])).toEqual({
      lr: '0.01', epochs: '10', verbose: 'true', n: '5', 'dry-run': 'true',
    });
    expect(paramsOf(['python3', '--version'])).toEqual({ version: 'true' });
  });
});
