import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Projects (workspaces): the projects, who belongs to each with which role, and which project each governed
 * object (experiment, registered model, dataset, monitor, deployment) is in. Objects are keyed by kind and id as
 * their grants are; an object without a row is in the built-in `default` project, so every object made before
 * projects existed stays where today's behaviour has it without a backfill.
 */
export function projectsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('projects')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('description', 'varchar(1000)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('projects' as never).values({ name: 'default', description: 'Everything not placed in another project', created_by: 'openexpert-system', created_at: 0 } as never).execute();
      await db.schema
        .createTable('project_members')
        .addColumn('project', 'varchar(64)', (c) => c.notNull().references('projects.name').onDelete('cascade'))
        // 'user' | 'group'
        .addColumn('principal_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('principal', 'varchar(256)', (c) => c.notNull())
        // 'viewer' | 'editor' | 'admin'
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('granted_by', 'varchar(256)', (c) => c.notNull())
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('project_members_pk', ['project', 'principal_type', 'principal'])
        .execute();
      await db.schema.createIndex('project_members_principal').on('project_members').columns(['principal_type', 'principal']).execute();
      await db.schema
        .createTable('project_objects')
        .addColumn('resource_kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('resource_id', 'varchar(512)', (c) => c.notNull())
        .addColumn('project', 'varchar(64)', (c) => c.notNull().references('projects.name'))
        .addPrimaryKeyConstraint('project_objects_pk', ['resource_kind', 'resource_id'])
        .execute();
      await db.schema.createIndex('project_objects_project').on('project_objects').columns(['project', 'resource_kind']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['project_objects', 'project_members', 'projects']) await db.schema.dropTable(t).execute();
    },
  };
}
