import { useState } from 'react';
import { NavLink, Outlet, useRouteError } from 'react-router';
import { currentUser, setCurrentUser } from '../api/client';
import { modules } from '../modules';
import { ProjectSwitcher } from './project-switcher';
import { SignedInUser, useAuth } from './auth';
import { ErrorMessage } from './status';
import { ThemeToggle } from './theme';

function Identity() {
  const [user, setUser] = useState(currentUser);
  return (
    <form className="identity" onSubmit={(e) => e.preventDefault()}>
      <label htmlFor="identity-user">Acting as</label>
      <input
        id="identity-user"
        value={user}
        placeholder="anonymous"
        size={12}
        onChange={(e) => {
          setUser(e.target.value);
          setCurrentUser(e.target.value.trim());
        }}
        title="The user name sent with your requests (recorded on approvals) while the server runs without sign-in"
      />
    </form>
  );
}

export function Layout() {
  const { authEnabled, isAdmin } = useAuth();
  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <a className="brand" href="/">OpenExpert</a>
        <nav aria-label="Modules">
          <ul>
            {modules.flatMap((m) => m.nav).filter((item) => !item.adminOnly || (authEnabled && isAdmin)).map((item) => (
              <li key={item.to}><NavLink to={item.to}>{item.label}</NavLink></li>
            ))}
          </ul>
        </nav>
        <span className="spacer" />
        <ProjectSwitcher />
        {authEnabled ? <SignedInUser /> : <Identity />}
        <ThemeToggle />
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

/** A render error in one page shows a message in the shell instead of a blank screen. */
export function RouteError() {
  const error = useRouteError();
  return <ErrorMessage error={error} />;
}
