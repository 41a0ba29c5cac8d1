import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { VERSION } from '../core/version.js';
import { actorFromRequest } from './actor.js';
import { registerMetrics } from './metrics.js';
import { MLFLOW_STATUS, mlflowErrorBody } from './mlflow/errors.js';
import { artifactRoutes, configureArtifactScope } from './mlflow/artifacts.routes.js';
import { loggedModelRoutes } from './mlflow/logged-models.routes.js';
import { trackingRoutes } from './mlflow/tracking.routes.js';
import type { Services } from './services.js';
import { registerSurface } from './surface.js';
import { V1_STATUS, v1ErrorBody } from './v1/errors.js';
import { systemRoutesV1 } from './v1/system.routes.js';
import { trackingRoutesV1 } from './v1/tracking.routes.js';

export interface AppOptions {
  readonly config: Pick<Config, 'logLevel'>;
  readonly services: Services;
  readonly checkDatabase: () => Promise<void>;
}

export function buildApp({ config, services, checkDatabase }: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: { level: config.logLevel },
    // Per-request access logs would cost more than the handlers themselves on the ingest path; metrics cover it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024 * 1024,
    return503OnClosing: true,
  });
  app.decorateRequest('actor', undefined as never);
  app.addHook('onRequest', async (request) => {
    request.actor = actorFromRequest(request);
  });
  registerMetrics(app);

  registerSurface(app, {
    name: 'mlflow',
    prefixes: ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'],
    status: MLFLOW_STATUS,
    errorBody: mlflowErrorBody,
    routes: [...trackingRoutes(services), ...loggedModelRoutes(services)],
  });
  registerSurface(app, {
    name: 'mlflow-artifacts',
    prefixes: ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'],
    status: MLFLOW_STATUS,
    errorBody: mlflowErrorBody,
    routes: artifactRoutes(services),
    configure: configureArtifactScope,
  });
  registerSurface(app, {
    name: 'v1',
    prefixes: ['/api/v1'],
    status: V1_STATUS,
    errorBody: v1ErrorBody,
    routes: [...systemRoutesV1(checkDatabase), ...trackingRoutesV1(services)],
  });

  // MLflow's server answers these at the root; load balancers and `mlflow` tooling probe them.
  app.get('/health', async () => 'OK');
  app.get('/version', async () => VERSION);
  return app;
}
