import type { Generated } from 'kysely';

/**
 * Model registry tables. Models and versions have surrogate ids so a rename touches one row; times are
 * epoch milliseconds; JSON columns hold documents only ever read whole (policies, check results, MLmodel facts).
 */
export interface RegistryTables {
  registered_models: RegisteredModelsTable;
  registered_model_tags: { registered_model_id: number; key: string; value: string };
  model_versions: ModelVersionsTable;
  model_version_tags: { model_version_id: number; key: string; value: string };
  registered_model_aliases: { registered_model_id: number; alias: string; model_version_id: number };
  promotion_policies: PromotionPoliciesTable;
  promotion_requests: PromotionRequestsTable;
  promotion_approvals: { request_id: number; user_id: string; time: number; comment: string | null };
  model_version_transitions: ModelVersionTransitionsTable;
}

export interface RegisteredModelsTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  creation_time: number;
  last_updated_time: number;
  /** Highest version number ever given out, so numbers of deleted versions are never reused. */
  last_version: number;
}

export interface ModelVersionsTable {
  id: Generated<number>;
  registered_model_id: number;
  version: number;
  creation_time: number;
  last_updated_time: number;
  description: string | null;
  user_id: string | null;
  current_stage: string;
  source: string;
  storage_location: string;
  run_id: string | null;
  run_link: string | null;
  model_id: string | null;
  status: string;
  /** JSON: flavors, signature, model_uuid, run_id, saved_input_example_info from the MLmodel file. */
  model_metadata: string | null;
}

export interface PromotionPoliciesTable {
  registered_model_id: number;
  /** JSON policy document. */
  document: string;
  updated_by: string;
  updated_time: number;
}

export interface PromotionRequestsTable {
  id: Generated<number>;
  model_version_id: number;
  target_kind: string;
  target: string;
  archive_existing: number;
  requester: string;
  reason: string | null;
  state: string;
  /** JSON array of check results as last evaluated. */
  checks: string;
  created_time: number;
  updated_time: number;
  resolved_by: string | null;
  resolution: string | null;
}

export interface ModelVersionTransitionsTable {
  id: Generated<number>;
  registered_model_id: number;
  /** The version number, not a key: history outlives a deleted version. */
  version: number;
  kind: string;
  target_kind: string;
  target: string;
  from_stage: string | null;
  to_stage: string | null;
  previous_version: number | null;
  actor: string;
  time: number;
  reason: string | null;
  /** JSON array of check results at the moment of the move. */
  checks: string;
  request_id: number | null;
}
