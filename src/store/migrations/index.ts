import type { Migration } from 'kysely/migration';
import type { Dialect } from '../db.js';
import { trackingMigration } from './0001-tracking.js';
import { artifactsMigration } from './0002-artifacts.js';

/** Every migration, by name; names sort in the order they run. Each module adds its own line. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-tracking': trackingMigration(dialect),
    '0002-artifacts': artifactsMigration(),
  };
}
