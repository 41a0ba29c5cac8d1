export type ErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'INVALID_STATE'
  | 'TEMPORARILY_UNAVAILABLE';

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'INVALID_PARAMETER_VALUE',
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'INVALID_STATE',
  'TEMPORARILY_UNAVAILABLE',
]);

/**
 * What an error is about, for the errors whose wording clients match on: each API surface words these from its
 * own table (MLflow's clients look for MLflow's sentences), and `message` is the wording everywhere else.
 */
export type ErrorSubject =
  | { readonly kind: 'run'; readonly runId: string }
  | { readonly kind: 'experiment'; readonly experimentId: string }
  | { readonly kind: 'experiment-name'; readonly name: string }
  | { readonly kind: 'registered-model'; readonly name: string }
  | { readonly kind: 'model-version'; readonly name: string; readonly version: number | string }
  | { readonly kind: 'logged-model'; readonly modelId: string }
  | { readonly kind: 'run-tag'; readonly runId: string; readonly key: string }
  | { readonly kind: 'experiment-tag'; readonly experimentId: string; readonly key: string }
  | { readonly kind: 'logged-model-tag'; readonly modelId: string; readonly key: string }
  /** An artifact path that would leave its root or is not a plain relative path. */
  | { readonly kind: 'artifact-path'; readonly path: string }
  /** A request field that is absent or of the wrong shape; `path` as given by the validator (`metrics.0.value`). */
  | { readonly kind: 'field'; readonly path: readonly PropertyKey[]; readonly value: unknown; readonly problem: string; readonly absent: boolean };

/** The one error type that crosses module boundaries; each API surface maps `code` to a status. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly subject?: ErrorSubject,
    /**
     * Set when an object exists but the caller may not read it, and the answer says it does not exist (so nobody
     * learns what exists by probing ids); code inside the server that tells missing from hidden checks it.
     */
    readonly concealed = false,
  ) {
    super(message);
  }
}

/** Matches on the code rather than `instanceof`, so duplicated module copies still agree. */
export function isDomainError(err: unknown): err is DomainError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    CODES.has((err as { code: string }).code) &&
    typeof (err as { message?: unknown }).message === 'string'
  );
}

export const invalid = (message: string) => new DomainError('INVALID_PARAMETER_VALUE', message);
export const notFound = (what: string) => new DomainError('RESOURCE_DOES_NOT_EXIST', `${what} does not exist`);
export const alreadyExists = (what: string) => new DomainError('RESOURCE_ALREADY_EXISTS', `${what} already exists`);
export const invalidState = (message: string) => new DomainError('INVALID_STATE', message);

type MissingSubject = Exclude<ErrorSubject, { kind: 'field' } | { kind: 'artifact-path' }>;

/** The platform's own wording of a missing object (the native API's; other surfaces word the subject themselves). */
const MISSING_WORDS: { [K in MissingSubject['kind']]: (s: Extract<MissingSubject, { kind: K }>) => string } = {
  run: (s) => `Run with id=${s.runId}`,
  experiment: (s) => `Experiment with id '${s.experimentId}'`,
  'experiment-name': (s) => `Experiment '${s.name}'`,
  'registered-model': (s) => `Registered Model with name=${s.name}`,
  'model-version': (s) => `Model Version (name=${s.name}, version=${s.version})`,
  'logged-model': (s) => `Logged model with ID '${s.modelId}'`,
  'run-tag': (s) => `Tag '${s.key}' on run ${s.runId}`,
  'experiment-tag': (s) => `Tag '${s.key}' on experiment ${s.experimentId}`,
  'logged-model-tag': (s) => `Tag '${s.key}' on logged model ${s.modelId}`,
};

/** RESOURCE_DOES_NOT_EXIST about a known kind of object, so every surface can word it for its clients. */
export function missing(subject: MissingSubject): DomainError {
  const words = (MISSING_WORDS[subject.kind] as (s: MissingSubject) => string)(subject);
  return new DomainError('RESOURCE_DOES_NOT_EXIST', `${words} does not exist`, subject);
}

export function orThrow<T>(value: T | undefined | null, err: () => DomainError): T {
  if (value === undefined || value === null) throw err();
  return value;
}
