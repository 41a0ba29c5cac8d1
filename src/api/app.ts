import fs from 'node:fs';
import path from 'node:path';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { VERSION } from '../core/version.js';
import { actorFromRequest } from './actor.js';
import { costRoutesV1 } from './v1/cost.routes.js';
import { registerCostMetrics } from './cost-metrics.js';
import { registerMetrics } from './metrics.js';
import { registerFeatureMetrics } from './feature-metrics.js';
import { registerMonitoringMetrics } from './monitoring-metrics.js';
import { artifactBrowsingRoutes, artifactDownloadRoutes } from './mlflow/artifact-browsing.routes.js';
import { keepJsonText } from './mlflow/json-echo.js';
import { MLFLOW_STATUS, mlflowErrorBody, mlflowWording } from './mlflow/errors.js';
import { artifactRoutes, configureArtifactScope } from './mlflow/artifacts.routes.js';
import { loggedModelRoutes } from './mlflow/logged-models.routes.js';
import { mlflowAuthRoutes } from './mlflow/auth.routes.js';
import { registryRoutes } from './mlflow/registry.routes.js';
import { trackingRoutes } from './mlflow/tracking.routes.js';
import type { Services } from './services.js';
import { registerSurface } from './surface.js';
import { V1_STATUS, V1ErrorSchema, v1ErrorBody } from './v1/errors.js';
import { builtWebUiDir, registerWebUi } from './web-ui.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerOpenApi } from './openapi.js';
import { registerGovernance, type Governance } from './governance-auth.js';
import { governanceRoutesV1, openWhoami } from './v1/governance.routes.js';
import { monitoringRoutesV1, streamTableBodies } from './v1/monitoring.routes.js';
import { datasetRoutesV1, streamOctetBodies } from './v1/datasets.routes.js';
import { registryRoutesV1 } from './v1/registry.routes.js';
import { systemRoutesV1 } from './v1/system.routes.js';
import { trackingRoutesV1 } from './v1/tracking.routes.js';
import { servingRoutesV1 } from './v1/serving.routes.js';
import { evaluationRoutesV1 } from './v1/evaluation.routes.js';
import { reproducibilityRoutesV1 } from './v1/reproducibility.routes.js';
import { projectRoutesV1 } from './v1/projects.routes.js';
import { retentionRoutesV1 } from './v1/retention.routes.js';
import { sweepRoutesV1 } from './v1/sweeps.routes.js';
import { explanationRoutesV1 } from './v1/explanations.routes.js';
import { reviewRoutesV1 } from './v1/review.routes.js';
import { featureRoutesV1 } from './v1/features.routes.js';
import { traceRoutesV1 } from './v1/traces.routes.js';
import { OTLP_STATUS, otlpErrorBody, otlpRoutes, rawOtlpBodies } from './otlp/otlp.routes.js';
import { promptRoutesV1 } from './v1/prompts.routes.js';
import { OIP_STATUS, oipErrorBody, scoringErrorBody } from './serving/errors.js';
import { oipRoutes, scoringRoutes } from './serving/oip.routes.js';

export interface AppOptions {
  readonly config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'trustProxy' | 'checkReplies'>>;
  readonly services: Services;
  readonly checkDatabase: () => Promise<void>;
  /** Present when auth is on: authenticates requests, audits state changes, serves users/tokens/audit. */
  readonly governance?: Governance;
}

export function buildApp({ config, services, checkDatabase, governance }: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: { level: config.logLevel },
    // Per-request access logs would cost more than the handlers themselves on the ingest path; metrics cover it.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024 * 1024,
    return503OnClosing: true,
    // MLflow's server (werkzeug) merges duplicate slashes; clients joining a tracking URI that ends in '/' send them.
    routerOptions: { ignoreDuplicateSlashes: true },
    trustProxy: config.trustProxy ?? false,
  });
  const uiDir = builtWebUiDir();
  // First, so its hooks cover every route and every reply, the UI's files and the API's errors alike.
  registerSecurityHeaders(app, uiDir === undefined ? undefined : fs.readFileSync(path.join(uiDir, 'index.html'), 'utf8'));
  app.decorateRequest('actor', undefined as never);
  app.decorateRequest('auditNotes', undefined as never);
  app.decorateRequest('refusal', undefined);
  app.decorateRequest('signInAttempt', undefined);
  app.addHook('onRequest', async (request) => {
    request.actor = actorFromRequest(request);
    request.auditNotes = [];
  });
  if (governance) registerGovernance(app, governance);
  const metrics = registerMetrics(app);
  registerMonitoringMetrics(metrics, services.monitoring);
  registerFeatureMetrics(metrics, services.features);
  registerCostMetrics(metrics, services.cost);
  services.serving.metrics.registerInto(metrics);

  // Before the surfaces: it collects routes as they are added.
  registerOpenApi(app);
  registerSurface(app, {
    name: 'mlflow',
    prefixes: ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow'],
    status: MLFLOW_STATUS,
    errorBody: mlflowErrorBody,
    wording: mlflowWording,
    routes: [...trackingRoutes(services), ...artifactBrowsingRoutes(services), ...loggedModelRoutes(services), ...registryRoutes(services), ...(governance ? mlflowAuthRoutes(governance) : [])],
    configure: keepJsonText,
  });
  registerSurface(app, {
    name: 'mlflow-artifacts',
    prefixes: ['/api/2.0/mlflow-artifacts', '/ajax-api/2.0/mlflow-artifacts'],
    status: MLFLOW_STATUS,
    errorBody: mlflowErrorBody,
    wording: mlflowWording,
    routes: artifactRoutes(services),
    configure: configureArtifactScope,
  });
  registerSurface(app, {
    name: 'mlflow-downloads',
    prefixes: [''],
    status: MLFLOW_STATUS,
    errorBody: mlflowErrorBody,
    wording: mlflowWording,
    routes: artifactDownloadRoutes(services),
  });
  registerSurface(app, {
    name: 'v1',
    prefixes: ['/api/v1'],
    status: V1_STATUS,
    errorBody: v1ErrorBody,
    configure: (scope) => {
      streamOctetBodies(scope);
      streamTableBodies(scope);
    },
    errorSchema: V1ErrorSchema,
    routes: [...systemRoutesV1(checkDatabase), ...trackingRoutesV1(services), ...monitoringRoutesV1(services), ...registryRoutesV1(services), ...servingRoutesV1(services), ...datasetRoutesV1(services), ...evaluationRoutesV1(services), ...reproducibilityRoutesV1(services), ...projectRoutesV1(services), ...retentionRoutesV1(services), ...sweepRoutesV1(services), ...featureRoutesV1(services), ...promptRoutesV1(services), ...traceRoutesV1(services), ...explanationRoutesV1(services), ...reviewRoutesV1(services), ...costRoutesV1(services), ...(governance ? governanceRoutesV1(governance) : [openWhoami])],
  }, { checkReplies: config.checkReplies ?? false });

  // OpenTelemetry exporters post to <endpoint>/v1/traces.
  registerSurface(app, { name: 'otlp', prefixes: ['/v1'], status: OTLP_STATUS, errorBody: otlpErrorBody, routes: otlpRoutes(services), configure: rawOtlpBodies });
  registerSurface(app, { name: 'oip', prefixes: ['/v2'], status: OIP_STATUS, errorBody: oipErrorBody, routes: oipRoutes(services) });
  registerSurface(app, { name: 'mlflow-scoring', prefixes: ['/serve'], status: MLFLOW_STATUS, errorBody: scoringErrorBody, routes: scoringRoutes(services) });

  // MLflow's server answers these at the root; load balancers and `mlflow` tooling probe them.
  app.get('/health', async () => 'OK');
  app.get('/version', async () => VERSION);
  registerWebUi(app, { dir: uiDir });
  return app;
}
