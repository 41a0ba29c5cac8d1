import { useState, type ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useAuth } from '../../components/auth';
import { ErrorMessage } from '../../components/status';
import { useTitle } from '../../lib/use-title';
import { toast } from '../../components/toasts';

const TABS = [['/admin/users', 'Users'], ['/admin/groups', 'Groups'], ['/admin/audit', 'Audit log']] as const;

/** The admin pages' shared frame: a heading, the tabs, and a plain notice for anyone who is not a signed-in admin. */
export function AdminFrame({ title, children }: { title: string; children: ReactNode }) {
  useTitle(`Admin · ${title}`);
  const { authEnabled, isAdmin } = useAuth();
  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">Administration</h1>
      <nav className="tabs" aria-label="Admin views">
        {TABS.map(([to, label]) => <NavLink key={to} to={to}>{label}</NavLink>)}
      </nav>
      {!authEnabled ? <p role="status">This server runs without sign-in: there are no users, groups or audit log to manage.</p> : null}
      {authEnabled && !isAdmin ? <p className="error" role="alert">Only an admin can manage users, groups and the audit log.</p> : null}
      {authEnabled && isAdmin ? children : null}
    </section>
  );
}

export interface ActionResult {
  readonly message?: string;
  readonly error?: unknown;
}

/** Runs one change at a time and remembers what came of it: a confirmation or the error, shown by <ActionOutcome>. */
export function useAction(onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult>();
  const run = async (what: () => Promise<unknown>, message: string): Promise<boolean> => {
    setBusy(true);
    setResult(undefined);
    try {
      await what();
      setResult({ message });
      toast(message);
      onDone();
      return true;
    } catch (error) {
      setResult({ error });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, result, run };
}

export function ActionOutcome({ result }: { result: ActionResult | undefined }) {
  if (result?.error) return <ErrorMessage error={result.error} />;
  return <p role="status" className="muted">{result?.message ?? ''}</p>;
}
