import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNumber } from './output.js';

describe('formatNumber (every CLI table)', () => {
  it('keeps the exponent whole and trims zeros from the mantissa only', () => {
    expect(formatNumber(5.499e-10)).toBe('5.499e-10');
    expect(formatNumber(1e-20)).toBe('1e-20');
    expect(formatNumber(1.5e-7)).toBe('1.5e-7');
    expect(formatNumber(-2.5e+30)).toBe('-2.5e+30');
    expect(formatNumber(0.1)).toBe('0.1');
    expect(formatNumber(0.30000000000000004)).toBe('0.3');
    expect(formatNumber(123.456789)).toBe('123.457');
    expect(formatNumber(100)).toBe('100');
    expect(formatNumber(1e21)).toBe('1e+21');
    expect(formatNumber(Infinity)).toBe('Infinity');
    expect(formatNumber(NaN)).toBe('NaN');
  });

  it('prints a number that parses back to the number at six significant digits', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const printed = formatNumber(x);
        const expected = Number.isInteger(x) ? x : Number(x.toPrecision(6));
        // Numeric equality: -0 prints as 0, as String(-0) does.
        expect(Number(printed) === expected, `${x} printed as ${printed}`).toBe(true);
        // Nothing the trimming could have cut short: no trailing zeros in a mantissa with a point.
        expect(printed.split('e')[0]).not.toMatch(/\.\d*0$/);
      }),
      { numRuns: 20_000 },
    );
  });
});
