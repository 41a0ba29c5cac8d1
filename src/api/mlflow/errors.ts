import type { ErrorCode } from '../../core/errors.js';

/** The only place MLflow-surface statuses are decided. MLflow answers "already exists" with 400, not 409. */
export const MLFLOW_STATUS: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  TEMPORARILY_UNAVAILABLE: 503,
};

export const mlflowErrorBody = (code: string, message: string) => ({ error_code: code, message });
