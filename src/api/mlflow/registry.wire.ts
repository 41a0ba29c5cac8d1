import type { ModelVersion, RegisteredModel } from '../../domain/registry/types.js';

/**
 * Registry objects in MLflow's JSON shape (mlflow/protos/model_registry.proto): versions travel as
 * strings, `current_stage` is always present ("None" by default), a version's `description` and `run_link` are
 * "" when unset, other empty lists and unset fields are left out.
 */
const list = <T>(name: string, items: readonly T[]): Record<string, readonly T[]> => (items.length > 0 ? { [name]: items } : {});

export function modelVersionToWire(v: ModelVersion) {
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.creationTime,
    last_updated_timestamp: v.lastUpdatedTime,
    ...(v.userId !== undefined ? { user_id: v.userId } : {}),
    current_stage: v.currentStage,
    // MLflow's server stores the request's proto defaults, so a version made without them reads back with "" (never absent).
    description: v.description ?? '',
    source: v.source,
    ...(v.runId !== undefined ? { run_id: v.runId } : {}),
    run_link: v.runLink ?? '',
    status: v.status,
    ...list('tags', v.tags.map((t) => ({ key: t.key, value: t.value }))),
    ...list('aliases', v.aliases),
    ...(v.modelId !== undefined ? { model_id: v.modelId } : {}),
  };
}

export function registeredModelToWire(m: RegisteredModel) {
  return {
    name: m.name,
    creation_timestamp: m.creationTime,
    last_updated_timestamp: m.lastUpdatedTime,
    ...(m.description !== undefined ? { description: m.description } : {}),
    ...list('latest_versions', m.latestVersions.map(modelVersionToWire)),
    ...list('tags', m.tags.map((t) => ({ key: t.key, value: t.value }))),
    ...list('aliases', m.aliases.map((a) => ({ alias: a.alias, version: String(a.version) }))),
  };
}
