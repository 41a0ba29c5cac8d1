import { describe, expect, it } from 'vitest';
import { isDomainError } from '../../core/errors.js';
import { LogBatch, plainLogBatch, readLogBatch } from './log-batch.js';

/** The schema is the reference: whatever the plain reader accepts, the schema accepts with the same result. */
const bodies: unknown[] = [
  { run_id: 'r1', metrics: [{ key: 'loss', value: 0.5, timestamp: 1700000000000, step: 3 }] },
  { run_uuid: 'r1', metrics: [{ key: 'loss', value: -1e-300, timestamp: 0 }] },
  { run_id: 'r1', run_uuid: 'r2', params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 't', value: '' }] },
  { run_id: 'r1', metrics: [], params: [], tags: [] },
  { run_id: 'r1', metrics: [{ key: 'm', value: 1, timestamp: -5, step: -(2 ** 53 - 1), model_id: 'm-1', dataset_name: 'd', dataset_digest: 'x' }] },
  { run_id: 'r1', metrics: [{ key: 'm', value: 1, timestamp: 5, step: 0, model_id: '', extra: true }], unknown: 1 },
  {},
  // Left to the schema: it accepts these (strings for numbers, NaN as a string) or refuses them.
  { run_id: 'r1', metrics: [{ key: 'm', value: 'NaN', timestamp: 1 }] },
  { run_id: 'r1', metrics: [{ key: 'm', value: '1.5', timestamp: '17', step: '2' }] },
  { run_id: 'r1', metrics: [{ key: 'm', value: 1, timestamp: 1.5 }] },
  { run_id: 'r1', metrics: [{ key: 'm', value: 1, timestamp: 2 ** 53 }] },
  { run_id: 'r1', metrics: [{ key: 'm', value: 1 }] },
  { run_id: 'r1', metrics: [{ key: 'm', value: null, timestamp: 1 }] },
  { run_id: 'r1', metrics: [{ key: 'm', value: 1, timestamp: 1, step: null }] },
  { run_id: 'r1', metrics: [{ key: 3, value: 1, timestamp: 1 }] },
  { run_id: 'r1', metrics: [null] },
  { run_id: 'r1', metrics: [[1]] },
  { run_id: 'r1', metrics: { key: 'm' } },
  { run_id: '', metrics: [] },
  { run_id: 5 },
  { run_id: 'r1', params: [{ key: 'a', value: 1 }] },
  { run_id: 'r1', tags: [{ key: 'a' }] },
  { run_id: 'r1', tags: null },
  [],
  null,
  'text',
];

describe('log-batch body reader', () => {
  it.each(bodies.map((b) => [JSON.stringify(b), b]))('agrees with the schema on %s', (_, body) => {
    const plain = plainLogBatch(body);
    const schema = LogBatch.safeParse(body ?? {});
    if (plain !== undefined) {
      expect(schema.success).toBe(true);
      expect(plain).toEqual(schema.data);
    }
    if (schema.success) expect(readLogBatch(body)).toEqual(schema.data);
    else expect(() => readLogBatch(body)).toThrow(/Invalid value for parameter/);
  });

  it('reads the shape clients send without the schema', () => {
    for (const body of bodies.slice(0, 7)) expect(plainLogBatch(body)).toBeDefined();
  });

  it('words a refusal as the schema does, naming the field', () => {
    let err: unknown;
    try {
      readLogBatch({ run_id: 'r1', metrics: [{ key: 'a', value: 1, timestamp: 1 }, { key: 'b', value: 'x', timestamp: 1 }] });
    } catch (e) {
      err = e;
    }
    expect(isDomainError(err) && err.subject).toMatchObject({ kind: 'field', path: ['metrics', 1, 'value'], value: 'x', absent: false });
  });
});
