import { describe, expect, it } from 'vitest';
import { jsonTextAt, pythonFloat } from './json-echo.js';

describe("echoing numbers as MLflow's Python server does", () => {
  it("writes floats as Python's repr does", () => {
    // Reference values: repr(float(x)) in CPython 3.
    const cases: [number, string][] = [
      [9, '9.0'], [-0, '-0.0'], [0.1, '0.1'], [100.5, '100.5'], [1e15, '1000000000000000.0'], [1e16, '1e+16'],
      [1.5e-7, '1.5e-07'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1.2345678901234568e17, '1.2345678901234568e+17'],
      [-2.5e100, '-2.5e+100'], [1 / 3, '0.3333333333333333'], [12345.678, '12345.678'],
    ];
    expect(cases.map(([x]) => pythonFloat(x))).toEqual(cases.map(([, repr]) => repr));
  });

  it('finds the text of the value at a path, the last of duplicate keys as JSON.parse keeps', () => {
    const text = ' { "name" : "x", "tags": [ {"key": "a", "value": 1.50}, {"key":"b","value":-0} ], "artifact_location": 9.0, "q": "\\"}", "artifact_location" :2e3 } ';
    expect(jsonTextAt(text, ['name'])).toBe('"x"');
    expect(jsonTextAt(text, ['tags', 0, 'value'])).toBe('1.50');
    expect(jsonTextAt(text, ['tags', 1, 'value'])).toBe('-0');
    expect(jsonTextAt(text, ['tags', 1])).toBe('{"key":"b","value":-0}');
    expect(jsonTextAt(text, ['artifact_location'])).toBe('2e3');
    expect(jsonTextAt(text, ['missing'])).toBeUndefined();
    expect(jsonTextAt(text, ['tags', 5])).toBeUndefined();
    expect(jsonTextAt('[]', [0])).toBeUndefined();
  });
});
