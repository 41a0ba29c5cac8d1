import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { AuthGate } from './components/auth';
import { Layout, RouteError } from './components/layout';
import { NotFound } from './components/status';
import { ThemeProvider } from './components/theme';
import { modules } from './modules';

const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      {
        errorElement: <RouteError />,
        children: [
          { index: true, element: <Navigate to="/experiments" replace /> },
          ...modules.flatMap((m) => m.routes),
          { path: '*', element: <NotFound /> },
        ],
      },
    ],
  },
]);

export function App() {
  return (
    <ThemeProvider>
      <AuthGate>
        <RouterProvider router={router} />
      </AuthGate>
    </ThemeProvider>
  );
}
