import type { z } from 'zod';
import { invalid } from '../core/errors.js';

/** Validates input at the edge; the first problem becomes INVALID_PARAMETER_VALUE naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  throw invalid(`Invalid value for parameter '${field}': ${issue.message}`);
}
