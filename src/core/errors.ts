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

/** The one error type that crosses module boundaries; each API surface maps `code` to a status. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
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

export function orThrow<T>(value: T | undefined | null, err: () => DomainError): T {
  if (value === undefined || value === null) throw err();
  return value;
}
