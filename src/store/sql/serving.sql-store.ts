import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { alreadyExists } from '../../core/errors.js';
import { BatchingSchema, LoggingSchema, RolloutSchema, RoutingSchema, ServedVersionSchema, StoredFeatureFetchSchema } from '../../domain/serving/schemas.js';
import type { ServingStore } from '../../domain/serving/serving.store.js';
import type { Deployment, DeploymentEvent, EventKind, LoadTestResult, MetricSample, NewDeploymentEvent, FeatureVector, PredictionRecord, ShadowRecord } from '../../domain/serving/types.js';
import { isUniqueViolation, translateBusy, type DatabaseHandle } from '../db.js';
import type { Database, ServingDeploymentsTable, ServingEventsTable } from '../schema.js';

const json = <S extends z.ZodType>(schema: S, text: string): z.output<S> => schema.parse(JSON.parse(text));

function toRow(d: Deployment): ServingDeploymentsTable {
  return {
    name: d.name, model_name: d.modelName, target: d.target,
    stable: JSON.stringify(d.stable), rollout: d.rollout ? JSON.stringify(d.rollout) : null, previous: d.previous ? JSON.stringify(d.previous) : null,
    routing: JSON.stringify(d.routing), batching: JSON.stringify(d.batching), logging: JSON.stringify(d.logging),
    features: d.features ? JSON.stringify(d.features) : null,
    created_at: d.createdAt, created_by: d.createdBy, updated_at: d.updatedAt, revision: d.revision,
  };
}

function fromRow(r: ServingDeploymentsTable): Deployment {
  return {
    name: r.name, modelName: r.model_name, target: r.target,
    stable: json(ServedVersionSchema, r.stable),
    ...(r.rollout ? { rollout: json(RolloutSchema, r.rollout) } : {}),
    ...(r.previous ? { previous: json(ServedVersionSchema, r.previous) } : {}),
    routing: json(RoutingSchema, r.routing), batching: json(BatchingSchema, r.batching), logging: json(LoggingSchema, r.logging),
    ...(r.features ? { features: json(StoredFeatureFetchSchema, r.features) } : {}),
    createdAt: Number(r.created_at), createdBy: r.created_by, updatedAt: Number(r.updated_at), revision: Number(r.revision),
  };
}

const eventRow = (e: NewDeploymentEvent): Omit<ServingEventsTable, 'id'> => ({
  deployment: e.deployment, time: e.time, kind: e.kind, actor: e.actor,
  from_version: e.fromVersion ?? null, to_version: e.toVersion ?? null, weight: e.weight ?? null, reason: e.reason ?? null,
  details: e.details ? JSON.stringify(e.details) : null,
});

export class SqlServingStore implements ServingStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async create(d: Deployment, event: NewDeploymentEvent): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('serving_deployments').values(toRow(d)).execute();
        await trx.insertInto('serving_events').values(eventRow(event)).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyExists(`Deployment '${d.name}'`);
      throw translateBusy(err);
    }
  }

  async get(name: string): Promise<Deployment | undefined> {
    const row = await this.db.selectFrom('serving_deployments').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<Deployment[]> {
    const rows = await this.db.selectFrom('serving_deployments').selectAll().orderBy('name').execute();
    return rows.map(fromRow);
  }

  async update(d: Deployment, expectedRevision: number, event: NewDeploymentEvent): Promise<boolean> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        const { name: _name, created_at: _createdAt, created_by: _createdBy, ...changes } = toRow(d);
        const result = await trx
          .updateTable('serving_deployments')
          .set(changes)
          .where('name', '=', d.name)
          .where('revision', '=', expectedRevision)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        await trx.insertInto('serving_events').values(eventRow(event)).execute();
        return true;
      });
    } catch (err) {
      throw translateBusy(err);
    }
  }

  async delete(name: string, event: NewDeploymentEvent): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('serving_deployments').where('name', '=', name).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx.insertInto('serving_events').values(eventRow(event)).execute();
      return true;
    });
  }

  async addEvent(event: NewDeploymentEvent): Promise<void> {
    await this.db.insertInto('serving_events').values(eventRow(event)).execute();
  }

  async events(name: string, limit: number): Promise<DeploymentEvent[]> {
    const rows = await this.db.selectFrom('serving_events').selectAll().where('deployment', '=', name).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id), deployment: r.deployment, time: Number(r.time), kind: r.kind as EventKind, actor: r.actor,
      ...(r.from_version !== null ? { fromVersion: r.from_version } : {}),
      ...(r.to_version !== null ? { toVersion: r.to_version } : {}),
      ...(r.weight !== null ? { weight: Number(r.weight) } : {}),
      ...(r.reason !== null ? { reason: r.reason } : {}),
      ...(r.details !== null ? { details: JSON.parse(r.details) as Record<string, unknown> } : {}),
    }));
  }

  async addMetricSamples(samples: readonly MetricSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.db
      .insertInto('serving_metric_samples')
      .values(samples.map((s) => ({
        deployment: s.deployment, version: s.version, bucket_start: s.bucketStart, requests: s.requests, errors: s.errors,
        latency_counts: JSON.stringify(s.latencyCounts), compared: s.compared, mismatches: s.mismatches,
      })))
      .execute()
      .catch((err: unknown) => {
        throw translateBusy(err);
      });
  }

  async metricSamples(deployment: string, version: string, from: number, to: number): Promise<MetricSample[]> {
    const rows = await this.db
      .selectFrom('serving_metric_samples')
      .selectAll()
      .where('deployment', '=', deployment)
      .where('version', '=', version)
      .where('bucket_start', '>=', from)
      .where('bucket_start', '<=', to)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      deployment: r.deployment, version: r.version, bucketStart: Number(r.bucket_start), requests: Number(r.requests), errors: Number(r.errors),
      latencyCounts: JSON.parse(r.latency_counts) as number[], compared: Number(r.compared), mismatches: Number(r.mismatches),
    }));
  }

  async pruneMetricSamples(before: number): Promise<void> {
    await this.db.deleteFrom('serving_metric_samples').where('bucket_start', '<', before).execute();
  }

  async addPredictions(records: readonly PredictionRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db
      .insertInto('serving_predictions')
      .values(records.map((p) => ({
        prediction_id: p.predictionId, deployment: p.deployment, model_name: p.modelName, version: p.version, time: p.time,
        inputs: JSON.stringify(p.inputs), outputs: JSON.stringify(p.outputs), latency_ms: p.latencyMs,
        shadow: p.shadow ? JSON.stringify(p.shadow) : null,
        // A batch's vectors are kept as a list in the same column.
        feature_vector: p.featureVectors ? JSON.stringify(p.featureVectors) : p.featureVector ? JSON.stringify(p.featureVector) : null,
      })))
      .onConflict((oc) => oc.column('prediction_id').doNothing())
      .execute()
      .catch((err: unknown) => {
        throw translateBusy(err);
      });
  }

  async predictions(deployment: string, opts: { limit: number; version?: string; since?: number; withFeatureVector?: boolean }): Promise<PredictionRecord[]> {
    let q = this.db.selectFrom('serving_predictions').selectAll().where('deployment', '=', deployment);
    if (opts.withFeatureVector) q = q.where('feature_vector', 'is not', null);
    if (opts.version !== undefined) q = q.where('version', '=', opts.version);
    if (opts.since !== undefined) q = q.where('time', '>=', opts.since);
    const rows = await q.orderBy('time', 'desc').orderBy('prediction_id').limit(opts.limit).execute();
    return rows.map(predictionFromRow);
  }

  async prediction(predictionId: string): Promise<PredictionRecord | undefined> {
    const row = await this.db.selectFrom('serving_predictions').selectAll().where('prediction_id', '=', predictionId).executeTakeFirst();
    return row ? predictionFromRow(row) : undefined;
  }

  async addLoadTest(result: LoadTestResult): Promise<void> {
    await this.db
      .insertInto('serving_load_tests')
      .values({
        id: result.id, deployment: result.deployment, model_name: result.modelName, version: result.version,
        time: result.time, created_by: result.createdBy, result: JSON.stringify(result),
      })
      .execute();
  }

  async loadTests(modelName: string, version?: string): Promise<LoadTestResult[]> {
    let q = this.db.selectFrom('serving_load_tests').select('result').where('model_name', '=', modelName);
    if (version !== undefined) q = q.where('version', '=', version);
    const rows = await q.orderBy('time', 'desc').execute();
    return rows.map((r) => JSON.parse(r.result) as LoadTestResult);
  }
}

function predictionFromRow(r: Database['serving_predictions']): PredictionRecord {
  return {
    predictionId: r.prediction_id, deployment: r.deployment, modelName: r.model_name, version: r.version, time: Number(r.time),
    inputs: JSON.parse(r.inputs) as unknown, outputs: JSON.parse(r.outputs) as unknown, latencyMs: Number(r.latency_ms),
    ...(r.shadow !== null ? { shadow: JSON.parse(r.shadow) as ShadowRecord } : {}),
    ...(r.feature_vector !== null ? vectorsFromColumn(JSON.parse(r.feature_vector) as FeatureVector | FeatureVector[]) : {}),
  };
}

const vectorsFromColumn = (v: FeatureVector | FeatureVector[]) => (Array.isArray(v) ? { featureVectors: v } : { featureVector: v });
