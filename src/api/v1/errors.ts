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
