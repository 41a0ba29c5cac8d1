import type { z } from 'zod';
import { DomainError } from '../core/errors.js';

/** Validates input at the edge; the first problem becomes INVALID_PARAMETER_VALUE naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  const given = valueAt(value ?? {}, issue.path);
  throw new DomainError('INVALID_PARAMETER_VALUE', `Invalid value for parameter '${field}': ${issue.message}`, {
    kind: 'field', path: issue.path, value: given, problem: issue.message, absent: given === undefined || given === null,
  });
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}
