import { ApiError } from '../api/client';

/** An API failure as a person reads it: a 404 says what was not found, anything else says what went wrong. */
export function ErrorMessage({ error, what }: { error: unknown; what?: string }) {
  if (error instanceof ApiError && error.notFound) return <NotFound what={what} detail={error.message} />;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      <strong>{what ? `Could not load ${what}` : 'Something went wrong'}</strong>
      {message}
    </div>
  );
}

export function NotFound({ what, detail }: { what?: string | undefined; detail?: string }) {
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">{what ? `${what[0]!.toUpperCase()}${what.slice(1)} not found` : 'Page not found'}</h1>
      <p className="error" role="alert">{detail ?? 'There is nothing at this address.'}</p>
      <p><a href="/experiments">Back to experiments</a></p>
    </section>
  );
}

/** A placeholder in the shape of the content to come (a few shimmering lines), announced as loading. */
export const Loading = ({ what, lines = 4 }: { what: string; lines?: number }) => (
  <div className="skeleton" role="status" aria-live="polite" data-testid="loading">
    <span className="visually-hidden">Loading {what}…</span>
    {Array.from({ length: lines }, (_, i) => <span key={i} className="bar" aria-hidden="true" />)}
  </div>
);
