import type { FastifyRequest } from 'fastify';
import type { ErrorCode, ErrorSubject } from '../../core/errors.js';
import { pythonEchoOfNumber } from './json-echo.js';

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

/** MLflow's JSON path of a request field: `metrics[0].value`. */
const jsonPath = (path: readonly PropertyKey[]) =>
  path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('') || 'body';

/**
 * MLflow's sentences for the errors its clients and users' scripts match on, taken from MLflow's server
 * (mlflow/server/handlers.py, mlflow/utils/validation.py) and stores (mlflow/store/tracking and model_registry
 * sqlalchemy_store.py). The only place the MLflow surface words an error differently from the platform.
 */
/** A wrong value as MLflow's server echoes it: `json.dumps` of what Python read, so a float keeps its `.0`. */
const echo = (s: Extract<ErrorSubject, { kind: 'field' }>, request: FastifyRequest | undefined) =>
  (typeof s.value === 'number' ? pythonEchoOfNumber(request, s.path, s.value) : undefined) ?? JSON.stringify(s.value) ?? String(s.value);

const MLFLOW_WORDING: { [K in ErrorSubject['kind']]: (s: Extract<ErrorSubject, { kind: K }>, request?: FastifyRequest) => string } = {
  run: (s) => `Run with id=${s.runId} not found`,
  experiment: (s) => `No Experiment with id=${s.experimentId} exists`,
  'experiment-name': (s) => `Could not find experiment with name '${s.name}'`,
  'registered-model': (s) => `Registered Model with name=${s.name} not found`,
  'model-version': (s) => `Model Version (name=${s.name}, version=${s.version}) not found`,
  'logged-model': (s) => `Logged model with ID '${s.modelId}' not found.`,
  'run-tag': (s) => `No tag with name: ${s.key} in run with id ${s.runId}`,
  'experiment-tag': (s) => `No tag with name: ${s.key} in experiment with id ${s.experimentId}`,
  'logged-model-tag': (s) => `No tag with key '${s.key}' found for model with ID '${s.modelId}'.`,
  // validate_path_is_safe in mlflow/utils/uri.py says no more than this.
  'artifact-path': () => 'Invalid path',
  field: (s, request) =>
    s.absent
      ? `Missing value for required parameter '${jsonPath(s.path)}'. See the API docs for more information about request parameters.`
      : `Invalid value ${echo(s, request)} for parameter '${jsonPath(s.path)}' supplied: ${s.problem}. ` +
        'See the API docs for more information about request parameters.',
};

export function mlflowWording(subject: ErrorSubject, request?: FastifyRequest): string {
  return (MLFLOW_WORDING[subject.kind] as (s: ErrorSubject, r?: FastifyRequest) => string)(subject, request);
}
