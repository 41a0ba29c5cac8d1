import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** A deployment may fetch its own features from the feature store: its feature list, join keys and stale-value rule (JSON). */
export function deploymentFeaturesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('serving_deployments').addColumn('features', 'text').execute();
    },
  };
}
