import { createBrowserRouter, RouterProvider } from 'react-router';
import { AuthGate } from './components/auth';
import { Layout, RouteError } from './components/layout';
import { NotFound } from './components/status';
import { ThemeProvider } from './components/theme';
import { pathForMlflowHash } from './lib/mlflow-links';
import { modules } from './modules';

// A link the MLflow client printed (`/#/experiments/1/runs/<id>`) becomes our URL for the same page before routing starts.
const mlflowLink = pathForMlflowHash(window.location.hash);
if (mlflowLink) window.history.replaceState(null, '', mlflowLink);

const router = createBrowserRouter([
  {
    path: '/',
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      {
        errorElement: <RouteError />,
        children: [
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
