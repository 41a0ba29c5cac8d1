import { useState } from 'react';
import { NavLink, Outlet, useRouteError } from 'react-router';
import { Waypoints } from 'lucide-react';
import { currentUser, setCurrentUser } from '../api/client';
import { modules } from '../modules';
import { Breadcrumbs } from './breadcrumbs';
import { NavIcon } from './icons';
import { ProjectSwitcher } from './project-switcher';
import { SignedInUser, useAuth } from './auth';
import { Shortcuts } from './shortcuts';
import { ErrorMessage } from './status';
import { ThemeToggle } from './theme';
import { Toasts } from './toasts';

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

/** The shell: modules in a sidebar, the breadcrumbs and who acts in the header, the page, toasts and shortcuts. */
export function Layout() {
  const { authEnabled, isAdmin } = useAuth();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">Skip to content</a>
      <aside className="sidebar">
        <a className="brand" href="/"><Waypoints className="icon" aria-hidden="true" />OpenExpert</a>
        <nav aria-label="Modules">
          <ul>
            {modules.flatMap((m) => m.nav).filter((item) => !item.adminOnly || (authEnabled && isAdmin)).map((item) => (
              <li key={item.to}><NavLink to={item.to}><NavIcon to={item.to} />{item.label}</NavLink></li>
            ))}
          </ul>
        </nav>
        <Shortcuts />
      </aside>
      <div className="shell-main">
        <header className="topbar">
          <Breadcrumbs />
          <span className="spacer" />
          <ProjectSwitcher />
          {authEnabled ? <SignedInUser /> : <Identity />}
          <ThemeToggle />
        </header>
        <main id="main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
      <Toasts />
    </div>
  );
}

/** A render error in one page shows a message in the shell instead of a blank screen. */
export function RouteError() {
  const error = useRouteError();
  return <ErrorMessage error={error} />;
}
