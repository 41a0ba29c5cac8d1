import { z } from 'zod';
import type { ErrorCode } from '../../core/errors.js';

/** Native API statuses: conflicts are 409 here, unlike the MLflow surface. */
export const V1_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 409,
  INVALID_STATE: 409,
  RESOURCE_DOES_NOT_EXIST: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  TEMPORARILY_UNAVAILABLE: 503,
};

export const v1ErrorBody = (code: string, message: string) => ({ error: { code, message } });

/** The native API's error body, the same for every route: `{ "error": { "code": …, "message": … } }`. */
export const V1ErrorSchema = z.object({
  error: z.object({
    code: z.string().describe('INVALID_PARAMETER_VALUE (400), UNAUTHENTICATED (401), PERMISSION_DENIED (403), RESOURCE_DOES_NOT_EXIST or ENDPOINT_NOT_FOUND (404), RESOURCE_ALREADY_EXISTS or INVALID_STATE (409), TEMPORARILY_UNAVAILABLE (503), INTERNAL_ERROR (500)'),
    message: z.string().describe('what was wrong, naming the field for bad input'),
  }),
}).meta({ id: 'Error' });

const WHEN = {
  400: 'INVALID_PARAMETER_VALUE: bad input, the message names the field',
  401: 'UNAUTHENTICATED: no or wrong credentials',
  403: 'PERMISSION_DENIED: the level on the object (or the role) is too low',
  404: 'RESOURCE_DOES_NOT_EXIST: unknown name or id, or (auth on) an object the caller may not read',
  409: 'RESOURCE_ALREADY_EXISTS or INVALID_STATE: a name in use, or not possible now',
  503: 'TEMPORARILY_UNAVAILABLE',
} as const;

/**
 * The error replies a route documents beside the 4xx/5xx every route may give, each with the one error shape:
 * `response: { 200: Thing, ...errorReplies(400, 404) }`.
 */
export const errorReplies = (...statuses: (keyof typeof WHEN)[]): Record<number, z.ZodType> =>
  Object.fromEntries(statuses.map((status) => [status, V1ErrorSchema.describe(WHEN[status])]));
