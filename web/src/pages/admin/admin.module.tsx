import { Navigate } from 'react-router';
import type { UiModule } from '../../module';

/** Users, groups and the audit log; the nav entry shows to admins only (the server refuses everyone else anyway). */
export const adminModule: UiModule = {
  name: 'admin',
  nav: [{ label: 'Admin', to: '/admin', adminOnly: true }],
  routes: [
    { path: 'admin', element: <Navigate to="/admin/users" replace /> },
    { path: 'admin/users', lazy: async () => ({ Component: (await import('./users-page')).UsersPage }) },
    { path: 'admin/groups', lazy: async () => ({ Component: (await import('./groups-page')).GroupsPage }) },
    { path: 'admin/audit', lazy: async () => ({ Component: (await import('./audit-page')).AuditPage }) },
  ],
};
