import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** A logged prediction keeps the feature vector the request carried (join keys and values), for training–serving skew checks. */
export function predictionFeatureVectorsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('serving_predictions').addColumn('feature_vector', 'text').execute();
    },
  };
}
