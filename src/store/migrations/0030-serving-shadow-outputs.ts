import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** A sampled shadow request keeps the candidate's answer (and whether it agreed) next to the stable one. */
export function servingShadowOutputsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('serving_predictions').addColumn('shadow', 'text').execute();
    },
  };
}
