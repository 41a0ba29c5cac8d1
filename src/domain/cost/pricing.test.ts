import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_PRICE_TABLE, gpuHourPrice, priceTableOf } from './pricing.js';

const GIB = 2 ** 30;

describe('compute pricing', () => {
  const table = priceTableOf(JSON.stringify({ cpuHour: 0.05, memoryGbHour: 0.01, gpuHour: { default: 2, 'NVIDIA A100*': 3, 'Tesla T4': 0.4 } }));

  it('prices usage by the formula: CPU-hours, GiB-hours of peak memory × wall time, GPU-hours by type', () => {
    const cost = costOf(table, {
      cpuSeconds: 7200, // 2 CPU-hours × $0.05 = $0.10
      memoryByteSeconds: 4 * GIB * 900, // 4 GiB for a quarter hour = 1 GiB-hour × $0.01 = $0.01
      gpuSecondsByType: {
        'NVIDIA A100-SXM4-40GB': 3600, // prefix entry: 1 h × $3 = $3
        'Tesla T4': 1800, // exact entry: 0.5 h × $0.40 = $0.20
        'Some GPU': 360, // default: 0.1 h × $2 = $0.20
      },
    });
    expect(cost).toBeCloseTo(0.1 + 0.01 + 3 + 0.2 + 0.2, 10);
  });

  it('merges a price file over the defaults and keeps default GPU types it does not name', () => {
    expect(table.cpuHour).toBe(0.05);
    expect(gpuHourPrice(table, 'NVIDIA H100 80GB HBM3')).toBe(DEFAULT_PRICE_TABLE.gpuHour['NVIDIA H100*']);
    expect(priceTableOf(undefined)).toEqual(DEFAULT_PRICE_TABLE);
    expect(priceTableOf('{"memoryGbHour": 0.5}').cpuHour).toBe(DEFAULT_PRICE_TABLE.cpuHour);
  });

  it('names what is wrong in a bad price file', () => {
    expect(() => priceTableOf('{"cpuHour": -1}')).toThrow(/'cpuHour'/);
    expect(() => priceTableOf('{"cpuHours": 1}')).toThrow(/cpuHours|Unrecognized/);
    expect(() => priceTableOf('not json')).toThrow(/not JSON/);
  });
});
