import type { LoggedModel } from '../../domain/tracking/logged-model.js';
import type { DatasetInput, Experiment, KeyValue, Metric, MetricWithRun, Run, RunInfo } from '../../domain/tracking/types.js';
import { metricValueToWire } from '../wire-types.js';

/**
 * Domain objects in MLflow's JSON shape. Like MLflow's protobuf encoder, empty lists and unset fields
 * are left out rather than sent as [] or null.
 */
const list = <T>(name: string, items: readonly T[]): Record<string, readonly T[]> => (items.length > 0 ? { [name]: items } : {});

const tags = (items: readonly KeyValue[]) => items.map((t) => ({ key: t.key, value: t.value }));

export function experimentToWire(e: Experiment) {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    ...list('tags', tags(e.tags)),
  };
}

export function runInfoToWire(i: RunInfo) {
  return {
    run_id: i.runId,
    run_uuid: i.runId,
    run_name: i.runName,
    experiment_id: i.experimentId,
    user_id: i.userId,
    status: i.status,
    start_time: i.startTime,
    ...(i.endTime !== null ? { end_time: i.endTime } : {}),
    artifact_uri: i.artifactUri,
    lifecycle_stage: i.lifecycleStage,
  };
}

export function metricToWire(m: Metric) {
  return { key: m.key, value: metricValueToWire(m.value), timestamp: m.timestamp, step: m.step };
}

/**
 * A get-history page as JSON text, written straight from the points: pages run to 25,000 points, and building
 * an object per point only for the serializer to walk it again doubled the cost of a page.
 */
export function metricPageJson(points: readonly Metric[], nextPageToken: string | undefined): string {
  const token = nextPageToken !== undefined ? `"next_page_token":${JSON.stringify(nextPageToken)}` : '';
  if (points.length === 0) return `{${token}}`;
  const keys = new Map<string, string>();
  const parts: string[] = new Array<string>(points.length);
  for (let i = 0; i < points.length; i++) {
    const m = points[i]!;
    let key = keys.get(m.key);
    if (key === undefined) keys.set(m.key, (key = JSON.stringify(m.key)));
    const value = Number.isFinite(m.value) ? String(m.value) : `"${String(m.value)}"`;
    parts[i] = `{"key":${key},"value":${value},"timestamp":${m.timestamp},"step":${m.step}}`;
  }
  return `{"metrics":[${parts.join(',')}]${token ? `,${token}` : ''}}`;
}

export function metricWithRunToWire(m: MetricWithRun) {
  return { ...metricToWire(m), run_id: m.runId };
}

function datasetInputToWire(d: DatasetInput) {
  return {
    ...list('tags', tags(d.tags)),
    dataset: {
      name: d.dataset.name,
      digest: d.dataset.digest,
      source_type: d.dataset.sourceType,
      source: d.dataset.source,
      ...(d.dataset.schema !== undefined ? { schema: d.dataset.schema } : {}),
      ...(d.dataset.profile !== undefined ? { profile: d.dataset.profile } : {}),
    },
  };
}

export function runToWire(r: Run) {
  return {
    info: runInfoToWire(r.info),
    data: {
      ...list('metrics', r.data.metrics.map(metricToWire)),
      ...list('params', tags(r.data.params)),
      ...list('tags', tags(r.data.tags)),
    },
    inputs: {
      ...list('dataset_inputs', r.inputs.map(datasetInputToWire)),
      ...list('model_inputs', r.modelInputs.map((modelId) => ({ model_id: modelId }))),
    },
    outputs: list('model_outputs', r.modelOutputs.map((o) => ({ model_id: o.modelId, step: o.step }))),
  };
}

export function loggedModelToWire(m: LoggedModel) {
  return {
    info: {
      model_id: m.modelId,
      experiment_id: m.experimentId,
      name: m.name,
      creation_timestamp_ms: m.creationTime,
      last_updated_timestamp_ms: m.lastUpdatedTime,
      artifact_uri: m.artifactLocation,
      status: m.status,
      ...(m.modelType !== undefined ? { model_type: m.modelType } : {}),
      ...(m.sourceRunId !== undefined ? { source_run_id: m.sourceRunId } : {}),
      ...(m.statusMessage !== undefined ? { status_message: m.statusMessage } : {}),
      ...list('tags', tags(m.tags)),
    },
    data: {
      ...list('params', tags(m.params)),
      ...list('metrics', m.metrics.map((x) => ({
        ...metricToWire(x),
        run_id: x.runId,
        model_id: m.modelId,
        ...(x.datasetName !== undefined ? { dataset_name: x.datasetName } : {}),
        ...(x.datasetDigest !== undefined ? { dataset_digest: x.datasetDigest } : {}),
      }))),
    },
  };
}
