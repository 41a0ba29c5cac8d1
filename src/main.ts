import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from './api/app.js';
import type { Config } from './config/config.js';
import { systemClock } from './core/clock.js';
import { allowAll } from './domain/access/access.js';
import { ExperimentService } from './domain/tracking/experiment.service.js';
import { RunService } from './domain/tracking/run.service.js';
import { migrate, openDatabase } from './store/db.js';
import { SqlTrackingStore } from './store/sql/tracking.sql-store.js';
import { SqlArtifactFilesStore, SqlLoggedModelStore } from './store/sql/artifacts.sql-store.js';
import { openArtifactStore } from './artifacts/open-artifact-store.js';
import { ArtifactService } from './domain/artifacts/artifact.service.js';
import { LoggedModelService } from './domain/tracking/logged-model.service.js';
import { pino } from 'pino';
import { createMonitoring } from './domain/monitoring/create-monitoring.js';
import { SqlMonitoringStore } from './store/sql/monitoring.sql-store.js';
import { createRegistry } from './domain/registry/create-registry.js';
import { loadDefaultPolicy } from './domain/registry/policy.js';
import { SqlPromotionStore } from './store/sql/promotion.sql-store.js';
import { SqlRegistryStore } from './store/sql/registry.sql-store.js';
import { createServing } from './domain/serving/serving.js';
import { ArtifactModelFiles, RegistryResolver } from './domain/serving/registry-resolver.js';
import { loadTestEvidence } from './domain/serving/load-test-evidence.js';
import { forwardToMonitors } from './domain/serving/monitor-forwarder.js';
import { SERVING_ACTOR } from './domain/serving/model-source.js';
import { SqlServingStore } from './store/sql/serving.sql-store.js';

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** Composition root: config → stores → services → api. Migrates the schema before serving. */
export async function buildServer(config: Config): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const defaultPolicy = loadDefaultPolicy(config.promotionPolicyFile);
  const database = await openDatabase(config.dbUrl, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  const tracking = new SqlTrackingStore(database);
  const artifactStore = openArtifactStore(config.artifactsUri, config.s3);
  const access = allowAll;
  const monitoring = createMonitoring(new SqlMonitoringStore(database), access, systemClock, pino({ level: config.logLevel }).child({ module: 'monitoring' }));
  // The registry reads runs, logged models and MLmodel files through the services below, looked up when called.
  const registry = createRegistry({
    registryStore: new SqlRegistryStore(database),
    promotionStore: new SqlPromotionStore(database),
    runs: { get: (actor, runId) => services.runs.get(actor, runId) },
    loggedModels: { get: (actor, modelId) => services.loggedModels.get(actor, modelId) },
    artifacts: { readText: (actor, uri, relativePath) => services.artifacts.readText(actor, uri, relativePath) },
    defaultPolicy,
    access,
    clock: systemClock,
  });
  const servingStore = new SqlServingStore(database);
  const serving = createServing({
    store: servingStore,
    resolver: new RegistryResolver(registry.registry),
    files: new ArtifactModelFiles({ download: (actor, path) => services.artifacts.download(actor, path) }),
    access,
    clock: systemClock,
    forwardPredictions: forwardToMonitors(monitoring.service, SERVING_ACTOR),
  });
  registry.evidenceProviders.registerEvidenceProvider('load-test', loadTestEvidence(servingStore, () => systemClock.now()));
  const services = {
    experiments: new ExperimentService(tracking, access, systemClock),
    runs: new RunService(tracking, access, systemClock),
    artifacts: new ArtifactService(artifactStore, new SqlArtifactFilesStore(database), access, systemClock),
    loggedModels: new LoggedModelService(new SqlLoggedModelStore(database), tracking, access, systemClock),
    monitoring: monitoring.service,
    registry: registry.registry,
    promotion: registry.promotion,
    serving,
  };
  const app = buildApp({
    config,
    services,
    checkDatabase: async () => {
      await sql`select 1`.execute(database.db);
    },
  });
  monitoring.start();
  return {
    app,
    close: async () => {
      await app.close();
      await serving.close();
      await monitoring.stop();
      await database.close();
    },
  };
}

export async function startServer(config: Config): Promise<RunningServer> {
  const { app, close } = await buildServer(config);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  return { url: `http://${host}:${port}`, app, close };
}
