import { z } from 'zod';

/**
 * Scalars as JSON clients send them. int64 fields arrive as numbers or, from protobuf-style encoders,
 * as numeric strings; metric values may be the strings "NaN", "Infinity" and "-Infinity".
 */
export const Int64 = z.union([
  z.number().int().refine(Number.isSafeInteger, 'must be a safe integer'),
  z.string().regex(/^-?\d{1,16}$/, 'must be an integer').transform(Number),
]);

export const MetricValue = z.union([
  z.number(),
  z.enum(['NaN', 'Infinity', '-Infinity']).transform(Number),
  z.string().regex(/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'must be a number').transform(Number),
]);

/** Query-string flavours: every value arrives as a string, repeated keys as arrays. */
export const QueryInt = z.string().regex(/^-?\d{1,16}$/, 'must be an integer').transform(Number);
export const QueryList = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));

export const KeyValue = z.object({ key: z.string(), value: z.string() });

/** JSON cannot carry NaN or ±Infinity; they go out as strings, as MLflow sends them. */
export function metricValueToWire(value: number): number | 'NaN' | 'Infinity' | '-Infinity' {
  return Number.isFinite(value) ? value : (String(value) as 'NaN' | 'Infinity' | '-Infinity');
}
