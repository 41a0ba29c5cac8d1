import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from './api/app.js';
import type { Services } from './api/services.js';
import type { Config } from './config/config.js';
import { systemClock } from './core/clock.js';
import { allowAll } from './domain/access/access.js';
import { AuditLog } from './domain/governance/audit-log.js';
import { openCheckpointSink } from './domain/governance/audit-checkpoint-sinks.js';
import { parseKeyring, type AuditKeyring } from './domain/governance/audit-keys.js';
import { GovernanceAccess } from './domain/governance/governance-access.js';
import type { Access, ObjectKind } from './domain/access/access.js';
import { DomainError, invalid, isDomainError } from './core/errors.js';
import { SYSTEM_ACTOR, type Actor } from './core/actor.js';
import { GovernanceService, userActor } from './domain/governance/governance.service.js';
import { OidcSignIn } from './domain/governance/oidc.js';
import { SqlGovernanceStore } from './store/sql/governance.sql-store.js';
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
import { spawnDetached, type RetrainCommandContext } from './domain/monitoring/monitoring.service.js';
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
import { DatasetService, parseDatasetRef } from './domain/datasets/dataset.service.js';
import type { LineageNode } from './domain/datasets/types.js';
import { validationEvidence } from './domain/validation/validation-evidence.js';
import { ValidationService } from './domain/validation/validation.service.js';
import { SqlDatasetStore } from './store/sql/datasets.sql-store.js';
import { EvaluationService } from './domain/evaluation/evaluation.service.js';
import { registerEvaluationEvidence } from './domain/evaluation/evidence.js';
import { SqlEvaluationStore } from './store/sql/evaluation.sql-store.js';
import { ReproducibilityService } from './domain/reproducibility/reproducibility.service.js';
import { reproducedEvidence } from './domain/reproducibility/reproduced-evidence.js';
import { SqlReproducibilityStore } from './store/sql/reproducibility.sql-store.js';
import { ProjectAccess } from './domain/projects/project-access.js';
import { ProjectService } from './domain/projects/project.service.js';
import { SqlProjectStore } from './store/sql/projects.sql-store.js';
import { SqlRetentionStore } from './store/sql/retention.sql-store.js';
import { RetentionService } from './domain/retention/retention.service.js';
import { SweepService } from './domain/sweeps/sweeps.service.js';
import { TraceService } from './domain/llmops/traces.service.js';
import { DispatchedBudgetAlerts } from './domain/llmops/budget-alerts.js';
import { WebhookDispatcher } from './domain/monitoring/webhooks.js';
import { SqlWebhookDeliveryStore } from './store/sql/webhooks.sql-store.js';
import { SqlTraceStore } from './store/sql/llmops.sql-store.js';
import { SqlSweepStore } from './store/sql/sweeps.sql-store.js';
import { SqlCostStore } from './store/sql/cost.sql-store.js';
import { createCost } from './domain/cost/create-cost.js';
import { priceTableOf } from './domain/cost/pricing.js';
import { ExplainService } from './domain/explain/explain.service.js';
import { SqlExplanationStore } from './store/sql/explanations.sql-store.js';
import { ReviewService } from './domain/review/review.service.js';
import { SqlReviewStore } from './store/sql/review.sql-store.js';
import { openModelVersion } from './domain/serving/runtime-pool.js';
import type { ModelFiles } from './domain/serving/model-source.js';
import { FeatureService } from './domain/features/feature.service.js';
import { PromptService } from './domain/prompts/prompt.service.js';
import { sourceFiles } from './domain/features/source-files.js';
import type { LocalFile } from './domain/datasets/data-file.js';
import { SqlFeatureStore, SqlOnlineStore } from './store/sql/features.sql-store.js';
import { RedisOnlineStore } from './store/redis/features.redis-online-store.js';

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
  const governanceStore = new SqlGovernanceStore(database);
  const projectStore = new SqlProjectStore(database);
  const governanceAccess = config.auth ? new GovernanceAccess(governanceStore, systemClock, config.defaultPermission, undefined, new Set(config.auditReads), projectStore) : undefined;
  const governance = governanceAccess
    ? {
        service: new GovernanceService(governanceStore, systemClock, governanceAccess, (kind, id) => objectId(services, kind, id), config.signIn),
        audit: new AuditLog(governanceStore, systemClock, {
          keyring: auditKeyring(config),
          sink: config.auditCheckpoints ? openCheckpointSink(config.auditCheckpoints, config.s3) : undefined,
        }),
        access: governanceAccess,
        deniedPerMinute: config.auditDeniedPerMinute,
      }
    : undefined;
  const signOn = governance && config.oidc ? { ...governance, oidc: new OidcSignIn(config.oidc, governance.service) } : governance;
  if (governance) await governance.audit.checkKeys();
  if (governance && config.adminUsername && config.adminPassword) await governance.service.bootstrapAdmin(config.adminUsername, config.adminPassword);
  // Every service checks through this one Access: the object's project is kept and narrowed here, decided in GovernanceAccess.
  const access = new ProjectAccess(governanceAccess ?? allowAll, projectStore);
  const projects = new ProjectService(projectStore, access, systemClock, governanceAccess
    ? {
        principalExists: async (type, name) => (type === 'user' ? (await governanceStore.getUser(name)) !== undefined : (await governanceStore.getGroup(name)) !== undefined),
        membersChanged: () => governanceAccess.invalidateProjectRoles(),
      }
    : {});
  // Monitors read references from dataset versions and record lineage through the datasets service, looked up when called.
  const monitoring = createMonitoring(new SqlMonitoringStore(database), access, systemClock, pino({ level: config.logLevel }).child({ module: 'monitoring' }), {
    // A retrain command (`openexpert pipeline run …`) reports to this server: it is told where that is, and with
    // auth on, gets a token of the monitor's creator (see retrainToken).
    runCommand: async (argv, env, on) => {
      const url = listeningUrl(app, config.host);
      const token = governance && on ? await retrainToken(governance.service, on) : undefined;
      return spawnDetached(argv, {
        ...(url ? { OPENEXPERT_URL: url, MLFLOW_TRACKING_URI: url } : {}),
        ...(token ? { OPENEXPERT_TOKEN: token, MLFLOW_TRACKING_TOKEN: token } : {}),
        ...env,
      });
    },
    artifacts: artifactStore,
    datasets: {
      withTable: async (actor, ref, work) => {
        const version = await services.datasets.get(actor, parseDatasetRef(ref));
        return services.datasets.withTables([{ version }], ([parts]) => work(parts!, { name: version.name, version: version.version, id: version.id }));
      },
      recordLineage: (edges) => services.datasets.recordLineage(SYSTEM_ACTOR, edges),
    },
  });
  // The registry reads runs, logged models and MLmodel files through the services below, looked up when called.
  const registry = createRegistry({
    registryStore: new SqlRegistryStore(database),
    promotionStore: new SqlPromotionStore(database),
    runs: { get: (actor, runId) => services.runs.get(actor, runId) },
    loggedModels: {
      get: (actor, modelId) => services.loggedModels.get(actor, modelId),
      recordModelVersion: (actor, modelId, name, version) => services.loggedModels.recordModelVersion(actor, modelId, name, version),
    },
    artifacts: { readText: (actor, uri, relativePath) => services.artifacts.readText(actor, uri, relativePath) },
    defaultPolicy,
    access,
    clock: systemClock,
    ...(governance ? { approvers: governance.service } : {}),
  });
  const servingStore = new SqlServingStore(database);
  const modelResolver = new RegistryResolver(registry.registry);
  const modelFiles: ModelFiles = new ArtifactModelFiles({ download: (actor, path) => services.artifacts.download(actor, path), list: (actor, dir) => services.artifacts.list(actor, dir) });
  const pythonSettings = { command: config.servingPythonCommand, workDir: path.join(config.home, 'serving') };
  const serving = createServing({
    store: servingStore,
    resolver: modelResolver,
    files: modelFiles,
    access,
    clock: systemClock,
    python: pythonSettings,
    lineage: (edges) => services.datasets.recordPlatformLineage(SERVING_ACTOR, edges),
    forwardPredictions: forwardToMonitors(monitoring.service, SERVING_ACTOR),
  });
  registry.evidenceProviders.registerEvidenceProvider('load-test', loadTestEvidence(servingStore, () => systemClock.now()));
  const datasetStore = new SqlDatasetStore(database);
  registry.evidenceProviders.registerEvidenceProvider('validation', validationEvidence(datasetStore));
  // Lineage nodes other modules own are checked by those modules, looked up when called.
  const datasets: DatasetService = new DatasetService(datasetStore, artifactStore, access, systemClock, (actor, permission, node) => lineageNodeAccess(services, access, actor, permission, node), config.exactProfileRows);
  // Evaluations log to runs and artifacts through the services below, looked up when called.
  const evaluation: EvaluationService = new EvaluationService(
    new SqlEvaluationStore(database),
    {
      get: (actor, runId) => services.runs.get(actor, runId),
      logBatch: (actor, runId, batch) => services.runs.logBatch(actor, runId, batch),
      logInputs: (actor, runId, inputs) => services.runs.logInputs(actor, runId, inputs),
    },
    { upload: (actor, path, body, length) => services.artifacts.upload(actor, path, body, length), download: (actor, path) => services.artifacts.download(actor, path),
      delete: (actor, path) => services.artifacts.delete(actor, path) },
    registry.registry,
    access,
    systemClock,
    (actor, name, version) => registry.promotion.history(actor, name, version),
    {
      get: (actor, ref) => services.datasets.get(actor, ref),
      readFile: (actor, input) => services.datasets.readFile(actor, input),
      recordLineage: (actor, edges) => services.datasets.recordPlatformLineage(actor, edges),
    },
  );
  registerEvaluationEvidence(registry.evidenceProviders, evaluation, () => systemClock.now());
  const reproducibility: ReproducibilityService = new ReproducibilityService(
    new SqlReproducibilityStore(database),
    { get: (actor, runId) => services.runs.get(actor, runId) },
    { get: (actor, id) => services.experiments.get(actor, id) },
    access,
    systemClock,
  );
  registry.evidenceProviders.registerEvidenceProvider('reproduced', reproducedEvidence(reproducibility));
  // Deletions for good are recorded in the audit chain, which exists (keyed as configured) with or without sign-in.
  const deletionAudit = governance?.audit ?? new AuditLog(governanceStore, systemClock, { keyring: auditKeyring(config) });
  const retention: RetentionService = new RetentionService({
    store: new SqlRetentionStore(database),
    access,
    clock: systemClock,
    artifacts: { list: (p) => services.artifacts.list(SYSTEM_ACTOR, p), delete: (p) => services.artifacts.delete(SYSTEM_ACTOR, p) },
    experimentsOf: async (project) => (await projectStore.objectsIn(project)).filter((o) => o.kind === 'experiment').map((o) => o.id),
    experimentId: async (actor, idOrName) =>
      /^\d+$/.test(idOrName) ? (await services.experiments.get(actor, idOrName)).experimentId : (await services.experiments.getByName(actor, idOrName)).experimentId,
    record: async (e) => {
      await deletionAudit.append({ ...e, status: 200, requestId: '', sourceIp: '' });
    },
    onError: (err, job) => pino({ level: config.logLevel }).child({ module: 'retention' }).error({ err, job: job.id }, 'deletion job failed'),
  });
  const sweepStore = new SqlSweepStore(database);
  // Usage is priced by the table read once at start; budgets' hard stops are asked before runs and trials start.
  const cost = createCost(new SqlCostStore(database), {
    runFacts: async (runId) => {
      const run = await tracking.getRun(runId);
      return run ? { experimentId: run.info.experimentId, userId: run.info.userId, tags: run.data.tags } : undefined;
    },
    sweepExperiment: async (id) => (await sweepStore.getSweep(id))?.experimentId,
  }, access, systemClock, priceTableOf(config.computePricesFile === undefined ? undefined : fs.readFileSync(config.computePricesFile, 'utf8'), config.computePricesFile),
  pino({ level: config.logLevel }).child({ module: 'cost' }), () => webhooks.kick());
  // Trials are runs and the best one becomes a model version: sweeps go through those services, looked up when called.
  const sweeps: SweepService = new SweepService(
    sweepStore,
    {
      create: (actor, input) => services.runs.create(actor, input),
      get: (actor, runId) => services.runs.get(actor, runId),
      logBatch: (actor, runId, batch) => services.runs.logBatch(actor, runId, batch),
      update: (actor, runId, input) => services.runs.update(actor, runId, input),
      metricHistory: (actor, input) => services.runs.metricHistory(actor, input),
    },
    {
      getRegisteredModel: (actor, name) => services.registry.getRegisteredModel(actor, name),
      createRegisteredModel: (actor, input) => services.registry.createRegisteredModel(actor, input),
      createModelVersion: (actor, input) => services.registry.createModelVersion(actor, input),
    },
    access,
    systemClock,
    (run) => cost.admit(run),
  );
  // Feature views read their sources as the platform (a view's READ is what reading its data needs); who may
  // define a view over a dataset version is checked when it is applied.
  const features: FeatureService = new FeatureService({
    store: new SqlFeatureStore(database),
    online: config.onlineStore ? new RedisOnlineStore(config.onlineStore) : new SqlOnlineStore(database),
    access,
    clock: systemClock,
    sources: sourceFiles({
      dataset: async <T>(ref: string, work: (files: LocalFile[]) => Promise<T>): Promise<T> => {
        const version = await services.datasets.get(SYSTEM_ACTOR, parseDatasetRef(ref));
        return services.datasets.withTables([{ version }], ([parts]: LocalFile[][]) => work(parts!));
      },
      s3: async (bucket, key) => (await openArtifactStore(`s3://${bucket}`, config.s3).get(key)).body,
      pathRoots: config.featureSourceRoots,
    }),
    datasetVersion: async (actor, ref) => ({ id: (await services.datasets.get(actor, parseDatasetRef(ref))).id }),
    lineage: (edges) => services.datasets.recordPlatformLineage(SYSTEM_ACTOR, edges),
    // A training set becomes a dataset version through the datasets service, with the caller's rights there.
    registerTrainingSet: async (actor, input) => {
      const hash = createHash('sha256');
      await pipeline(fs.createReadStream(input.file.local), hash);
      const sha256 = hash.digest('hex');
      const { size } = await fs.promises.stat(input.file.local);
      await services.datasets.putBlob(actor, { name: input.dataset, sha256, body: fs.createReadStream(input.file.local), size });
      const { version } = await services.datasets.addVersion(actor, {
        name: input.dataset, files: [{ path: input.file.name, sha256, size }], derivedFrom: input.derivedFrom.map(parseDatasetRef), project: input.project,
      });
      return { id: version.id, name: version.name, version: version.version };
    },
    loggedVectors: async (actor, deployment, opts) =>
      (await services.serving.deployments.predictions(actor, deployment, { limit: opts.limit, withFeatureVector: true, ...(opts.since !== undefined ? { since: opts.since } : {}) }))
        .flatMap((p) => [...(p.featureVector ? [p.featureVector] : []), ...(p.featureVectors ?? [])].map((v) => ({ time: p.time, entity: v.entity, values: v.values }))),
    projectOf: async (kind, name) => (await projectStore.projectsOf(kind, [name])).get(name) ?? 'default',
    tempDir: path.join(config.home, 'tmp'),
  });
  // Deliveries other modules queue in `webhook_deliveries` (budget alerts): any replica may send them, each once at a time.
  const llmLog = pino({ level: config.logLevel }).child({ module: 'llmops' });
  const webhooks = new WebhookDispatcher(new SqlWebhookDeliveryStore(database), systemClock, llmLog);
  const traces = new TraceService(new SqlTraceStore(database), access, systemClock, new DispatchedBudgetAlerts(llmLog, webhooks));
  // A deployment that fetches its own features reads them as the platform, on the online API's path; whoever
  // configures one needs READ on its views.
  serving.deployments.features = serving.inference.features = {
    keys: (actor, input) => features.servingKeys(actor, input),
    vectors: (input) => features.servingVectors(SYSTEM_ACTOR, input),
  };
  // Explanations run a version the way a deployment runs it by default, in a runtime of their own.
  const explanations: ExplainService = new ExplainService({
    store: new SqlExplanationStore(database),
    resolver: modelResolver,
    files: modelFiles,
    open: (resolved) => openModelVersion(resolved, modelFiles, pythonSettings, `explain-${resolved.modelName}-v${resolved.version}`),
    access,
    clock: systemClock,
  });
  evaluation.explanations = (name, version) => explanations.latest(name, version);
  monitoring.service.explanations = (name, version) => explanations.latest(name, version);
  // Review queues read predictions and traces, and export to datasets, as the caller through those services.
  const review: ReviewService = new ReviewService({
    store: new SqlReviewStore(database),
    access,
    clock: systemClock,
    sources: {
      deployment: async (actor, name) => ({ modelName: (await serving.deployments.get(actor, name)).modelName }),
      deploymentsOf: async (actor, model) => (await serving.deployments.list(actor)).filter((d) => d.modelName === model).map((d) => d.name),
      registeredModel: async (actor, name) => void (await services.registry.getRegisteredModel(actor, name)),
      predictions: (actor, deployment, opts) => services.serving.deployments.predictions(actor, deployment, opts),
      traces: async (actor, project, opts) => {
        const found = await traces.search(actor, { project, since: opts.since, maxResults: opts.limit });
        return Promise.all(found.items.map(async (t) => {
          const root = (await traces.get(actor, t.traceId)).spans[0];
          return { ...t, ...(root?.input !== undefined ? { input: root.input } : {}), ...(root?.output !== undefined ? { output: root.output } : {}) };
        }));
      },
    },
    exports: {
      addVersion: async (actor, input) => (await services.datasets.addVersion(actor, input)).version,
      lineage: (edges) => services.datasets.recordPlatformLineage(SYSTEM_ACTOR, edges),
    },
  });
  const services = {
    experiments: new ExperimentService(tracking, access, systemClock),
    runs: new RunService(tracking, access, systemClock, (actor, runId, tags) => datasets.resolveRunTags(actor, runId, tags), (run) => cost.admit(run)),
    artifacts: new ArtifactService(artifactStore, new SqlArtifactFilesStore(database), access, systemClock),
    loggedModels: new LoggedModelService(new SqlLoggedModelStore(database), tracking, access, systemClock),
    monitoring: monitoring.service,
    registry: registry.registry,
    promotion: registry.promotion,
    serving,
    evaluation,
    datasets,
    validation: new ValidationService(datasetStore, datasets, access, systemClock),
    reproducibility,
    projects,
    retention,
    sweeps,
    features,
    traces,
    prompts: new PromptService(registry.registry, registry.promotion),
    explanations,
    review,
    cost,
  };
  const app = buildApp({
    config,
    services,
    checkDatabase: async () => {
      await sql`select 1`.execute(database.db);
    },
    ...(signOn ? { governance: signOn } : {}),
  });
  monitoring.start();
  webhooks.start();
  // Retention policies apply themselves every hour; `openexpert retention apply` applies them now.
  const retentionTimer = setInterval(() => {
    retention.apply(SYSTEM_ACTOR, { dryRun: false })
      .catch((err: unknown) => app.log.error({ err }, 'applying retention policies failed'));
  }, 3_600_000);
  retentionTimer.unref();
  const reviewPulls = config.reviewPullSeconds > 0 ? startReviewPulls(review, config.reviewPullSeconds, governanceStore, Boolean(governance), app.log) : undefined;
  const auditRetention = governance && config.auditRetentionDays > 0 ? startAuditRetention(governance.audit, config.auditRetentionDays, app.log) : undefined;
  const checkpoints = governance && config.auditCheckpoints ? startAuditCheckpoints(governance.audit, config.auditCheckpointSeconds, app.log) : undefined;
  return {
    app,
    close: async () => {
      clearInterval(retentionTimer);
      if (reviewPulls) clearInterval(reviewPulls);
      if (auditRetention) clearInterval(auditRetention);
      if (checkpoints) {
        clearInterval(checkpoints);
        // The last entries this process wrote are anchored before it goes.
        await governance!.audit.checkpoint().catch((err: unknown) => app.log.error({ err }, 'audit checkpoint failed'));
      }
      await app.close();
      await serving.close();
      await features.close();
      await monitoring.stop();
      await webhooks.stop();
      await database.close();
    },
  };
}

/** An object's canonical id (monitors may be named by name), asked of its module; undefined when it does not exist. */
async function objectId(services: Services, kind: ObjectKind, id: string): Promise<string | undefined> {
  try {
    switch (kind) {
      case 'experiment': return (await services.experiments.get(SYSTEM_ACTOR, id)).experimentId;
      case 'registered_model': return (await services.registry.getRegisteredModel(SYSTEM_ACTOR, id)).name;
      case 'dataset': return (await services.datasets.listVersions(SYSTEM_ACTOR, id))[0]?.name;
      case 'monitor': return (await services.monitoring.get(SYSTEM_ACTOR, id)).monitorId;
      case 'deployment': return (await services.serving.deployments.get(SYSTEM_ACTOR, id)).name;
      case 'feature_view': return (await services.features.getView(SYSTEM_ACTOR, id)).name;
      case 'review_queue': return (await services.review.get(SYSTEM_ACTOR, id)).queue.name;
    }
  } catch (err) {
    if (isDomainError(err) && (err.code === 'RESOURCE_DOES_NOT_EXIST' || err.code === 'INVALID_PARAMETER_VALUE')) return undefined;
    throw err;
  }
}

/**
 * READ on a lineage node is what reading the object needs; EDIT is EDIT on what governs it (a run's experiment, a
 * model version's registered model...). Kinds no module owns are free-form labels, governed by the workspace.
 */
async function lineageNodeAccess(services: Services, access: Access, actor: Actor, permission: 'READ' | 'EDIT', node: LineageNode): Promise<void> {
  const slash = node.id.lastIndexOf('/');
  switch (node.kind) {
    case 'run': {
      const run = await services.runs.get(actor, node.id);
      if (permission === 'EDIT') await access.require(actor, 'EDIT', { kind: 'experiment', id: run.info.experimentId });
      return;
    }
    case 'logged_model': {
      const model = await services.loggedModels.get(actor, node.id);
      if (permission === 'EDIT') await access.require(actor, 'EDIT', { kind: 'experiment', id: model.experimentId });
      return;
    }
    case 'model_version': {
      if (slash <= 0) throw invalid(`A model_version node is 'name/version', not '${node.id}'`);
      const name = node.id.slice(0, slash);
      await services.registry.getModelVersion(actor, name, node.id.slice(slash + 1));
      if (permission === 'EDIT') await access.require(actor, 'EDIT', { kind: 'registered_model', id: name });
      return;
    }
    case 'evaluation': {
      const evaluation = await services.evaluation.get(actor, node.id);
      if (permission === 'EDIT') await access.require(actor, 'EDIT', evaluation.model ? { kind: 'registered_model', id: evaluation.model.name } : { kind: 'server' });
      return;
    }
    case 'deployment':
      await services.serving.deployments.get(actor, node.id);
      if (permission === 'EDIT') await access.require(actor, 'EDIT', { kind: 'deployment', id: node.id });
      return;
    case 'feature_view':
      await services.features.getView(actor, node.id);
      if (permission === 'EDIT') await access.require(actor, 'EDIT', { kind: 'feature_view', id: node.id });
      return;
    case 'review_queue':
      await services.review.get(actor, node.id);
      if (permission === 'EDIT') await access.require(actor, 'EDIT', { kind: 'review_queue', id: node.id });
      return;
    case 'validation':
      // Validation results hang off their dataset version; only the platform links them.
      if (permission === 'EDIT') throw new DomainError('PERMISSION_DENIED', 'Validation results are linked by the platform only');
      return;
    default:
      await access.require(actor, permission, { kind: 'server' });
  }
}

/** The audit keys from their file, or else from the environment; none leaves the chain keyless (sha256). */
function auditKeyring(config: Config): AuditKeyring | undefined {
  if (config.auditKeysFile) {
    let text: string;
    try {
      text = fs.readFileSync(config.auditKeysFile, 'utf8');
    } catch (err) {
      throw invalid(`Cannot read the audit keys file '${config.auditKeysFile}': ${(err as Error).message}`);
    }
    return parseKeyring(text, `the audit keys file '${config.auditKeysFile}'`);
  }
  return config.auditKeys ? parseKeyring(config.auditKeys, 'OPENEXPERT_AUDIT_KEYS') : undefined;
}

/** Checkpoints the audit head on start and then periodically; a failure is logged and retried at the next tick. */
function startAuditCheckpoints(audit: AuditLog, seconds: number, log: { error(obj: object, msg: string): void }): NodeJS.Timeout {
  const tick = () => void audit.checkpoint().catch((err: unknown) => log.error({ err }, 'audit checkpoint failed'));
  tick();
  const timer = setInterval(tick, seconds * 1000);
  timer.unref();
  return timer;
}

/** Prunes the audit log on start and then daily; a failure is logged and retried the next day. */
function startAuditRetention(audit: AuditLog, days: number, log: { error(obj: object, msg: string): void }): NodeJS.Timeout {
  const prune = () => void audit.prune(days).catch((err: unknown) => log.error({ err }, 'audit retention failed'));
  prune();
  const timer = setInterval(prune, 86_400_000);
  timer.unref();
  return timer;
}

/** Where a client on this machine reaches the server once it listens (0.0.0.0 and :: answer on loopback too). */
function listeningUrl(app: FastifyInstance, configuredHost: string): string | undefined {
  const address = app.server.address();
  if (!address || typeof address !== 'object') return undefined;
  const host = configuredHost === '0.0.0.0' ? '127.0.0.1' : configuredHost === '::' ? '[::1]' : configuredHost.includes(':') ? `[${configuredHost}]` : configuredHost;
  return `http://${host}:${address.port}`;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const { app, close } = await buildServer(config);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await close();
    throw err;
  }
  return { url: listeningUrl(app, config.host) ?? `http://${config.host}:${config.port}`, app, close };
}

/**
 * The token a retrain command started under auth acts with: the monitor creator's, capped at EDIT (enough to log
 * runs, register versions and report the outcome; not to manage permissions), expiring after a day, named after
 * the monitor and the request so `openexpert tokens list` shows where it came from and it can be revoked.
 */
async function retrainToken(governance: GovernanceService, on: RetrainCommandContext): Promise<string> {
  const { token } = await governance.createToken(SYSTEM_ACTOR, { name: `retrain ${on.monitor} ${on.requestId}`, username: on.owner, ttlSeconds: RETRAIN_TOKEN_TTL_S, scopes: ['edit'] });
  return token;
}

const RETRAIN_TOKEN_TTL_S = 24 * 3600;

/**
 * Review queues fed by predictions or traces pull in the background, every `seconds`, each as its creator: with
 * auth, that user as they are now (a deleted user's queue is skipped); without, the creator's name with every right,
 * as every caller has. One pass at a time: a pass still running when the next is due is not doubled.
 */
function startReviewPulls(
  review: ReviewService, seconds: number, users: SqlGovernanceStore, auth: boolean,
  log: { warn(o: object, msg: string): void; error(o: object, msg: string): void },
): NodeJS.Timeout {
  const actorFor = async (username: string): Promise<Actor | undefined> => {
    if (!auth) return { userId: username, isAdmin: true, authenticated: false };
    const user = await users.getUser(username);
    return user ? userActor(user) : undefined;
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    review.pullAll(actorFor)
      .then((results) => {
        for (const r of results) if (r.error !== undefined) log.warn({ queue: r.queue, err: r.error }, 'background review pull skipped a queue');
      })
      .catch((err: unknown) => log.error({ err }, 'background review pulls failed'))
      .finally(() => {
        running = false;
      });
  }, seconds * 1000);
  timer.unref();
  return timer;
}
