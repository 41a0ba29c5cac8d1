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

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** Composition root: config → stores → services → api. Migrates the schema before serving. */
export async function buildServer(config: Config): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
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
  const services = {
    experiments: new ExperimentService(tracking, access, systemClock),
    runs: new RunService(tracking, access, systemClock),
    artifacts: new ArtifactService(artifactStore, new SqlArtifactFilesStore(database), access, systemClock),
    loggedModels: new LoggedModelService(new SqlLoggedModelStore(database), tracking, access, systemClock),
  };
  const app = buildApp({
    config,
    services,
    checkDatabase: async () => {
      await sql`select 1`.execute(database.db);
    },
  });
  return {
    app,
    close: async () => {
      await app.close();
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
