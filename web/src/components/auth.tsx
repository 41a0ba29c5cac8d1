import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { authApi, type AuthMethods, type Whoami } from '../api/auth';
import { ApiError, onUnauthenticated, setSession } from '../api/client';
import { useTitle } from '../lib/use-title';
import { ErrorMessage } from './status';

export interface Auth {
  /** False when the server runs without sign-in: nothing is hidden and the "Acting as" name is used. */
  readonly authEnabled: boolean;
  readonly user: string;
  readonly role?: string | undefined;
  readonly isAdmin: boolean;
  signOut(): Promise<void>;
}

const AuthContext = createContext<Auth>({ authEnabled: false, user: 'anonymous', isAdmin: true, signOut: async () => undefined });

/** Who the UI works for; with auth off, the anonymous admin the server also sees. */
export const useAuth = () => useContext(AuthContext);

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'signed-out'; readonly notice?: string }
  | { readonly kind: 'ready'; readonly who: Pick<Whoami, 'user' | 'role' | 'isAdmin' | 'authEnabled'> };

/**
 * Asks the server who we are before anything else renders: with auth off the app renders as always; with auth
 * on and no session it shows the sign-in page, and any later 401 (an expired or ended session) brings it back.
 */
export function AuthGate({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    authApi.whoami().then(
      (who) => {
        if (!live) return;
        setSession(who.authEnabled, who.csrfToken);
        setState({ kind: 'ready', who });
      },
      (error: unknown) => {
        if (!live) return;
        const signedOut = error instanceof ApiError && error.status === 401;
        if (signedOut) setSession(true);
        setState(signedOut ? { kind: 'signed-out' } : { kind: 'failed', error });
      },
    );
    return () => { live = false; };
  }, [attempt]);
  useEffect(() => onUnauthenticated(() => {
    setSession(true);
    setState((s) => (s.kind === 'signed-out' ? s : { kind: 'signed-out', notice: 'Your session has ended. Sign in again.' }));
  }), []);
  const signOut = useCallback(async () => {
    try {
      await authApi.logout();
    } finally {
      setSession(true);
      setState({ kind: 'signed-out' });
    }
  }, []);

  if (state.kind === 'loading') return <main id="main"><p className="muted" role="status">Loading…</p></main>;
  if (state.kind === 'failed') {
    return (
      <main id="main">
        <ErrorMessage error={state.error} what="who you are" />
        <button type="button" onClick={() => { setState({ kind: 'loading' }); setAttempt((a) => a + 1); }}>Try again</button>
      </main>
    );
  }
  if (state.kind === 'signed-out') {
    return (
      <SignInPage
        notice={state.notice}
        onSignedIn={(who) => {
          setSession(true, who.csrfToken);
          setState({ kind: 'ready', who: { ...who, authEnabled: true } });
        }}
      />
    );
  }
  const { who } = state;
  return <AuthContext value={{ authEnabled: who.authEnabled, user: who.user, role: who.role, isAdmin: who.isAdmin, signOut }}>{children}</AuthContext>;
}

function SignInPage({ notice, onSignedIn }: { notice?: string | undefined; onSignedIn(who: { user: string; role: string; isAdmin: boolean; csrfToken: string }): void }) {
  useTitle('Sign in');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  // A failed single sign-on comes back here with its reason in the fragment (which never reaches a server).
  const [error, setError] = useState<string | undefined>(ssoErrorOfLocation);
  const [methods, setMethods] = useState<AuthMethods>();
  useEffect(() => {
    let live = true;
    authApi.methods().then((m) => { if (live) setMethods(m); }, () => undefined);
    return () => { live = false; };
  }, []);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await authApi.login(username.trim(), password));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setPassword('');
      setBusy(false);
    }
  };
  return (
    <main id="main" className="sign-in">
      <form className="card" aria-labelledby="sign-in-title" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <h1 id="sign-in-title">Sign in to OpenExpert</h1>
        {notice && !error ? <p role="status">{notice}</p> : null}
        <label htmlFor="sign-in-username">Username</label>
        <input id="sign-in-username" name="username" autoComplete="username" required autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="sign-in-password">Password</label>
        <input id="sign-in-password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {error ? <p className="error" role="alert" id="sign-in-error">{error}</p> : null}
        <button type="submit" className="primary" disabled={busy}>Sign in</button>
        {methods?.sso ? (
          <p className="sso">
            <a className="button" href={`${methods.sso.loginUrl}?returnTo=${encodeURIComponent(window.location.pathname + window.location.search)}`}>Sign in with single sign-on</a>
          </p>
        ) : null}
      </form>
    </main>
  );
}

/** The reason a single sign-on failed, from `#sso-error=…`, taken off the address so a reload does not show it again. */
function ssoErrorOfLocation(): string | undefined {
  const match = /^#sso-error=(.*)$/.exec(window.location.hash);
  if (!match) return undefined;
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  try {
    return decodeURIComponent(match[1] ?? '');
  } catch {
    return 'Single sign-on failed';
  }
}

/** The header's part with auth on: who is signed in, in which role, and the way out. */
export function SignedInUser() {
  const { user, role, signOut } = useAuth();
  const [busy, setBusy] = useState(false);
  return (
    <div className="identity">
      <span data-testid="signed-in-user">Signed in as <strong>{user}</strong>{role ? <span className="badge">{role}</span> : null}</span>
      <button type="button" disabled={busy} onClick={() => { setBusy(true); void signOut(); }}>Sign out</button>
    </div>
  );
}
