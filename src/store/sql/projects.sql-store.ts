import type { Kysely, Selectable } from 'kysely';
import type { ObjectKind } from '../../domain/access/access.js';
import type { ProjectStore } from '../../domain/projects/projects.store.js';
import { DEFAULT_PROJECT, PROJECT_ROLES, type MemberType, type Project, type ProjectMember, type ProjectObject, type ProjectRole } from '../../domain/projects/types.js';
import { isUniqueViolation, type DatabaseHandle } from '../db.js';
import type { Database, ProjectTables } from '../schema.js';

const project = (r: Selectable<ProjectTables['projects']>): Project => ({ name: r.name, description: r.description, createdBy: r.created_by, createdAt: Number(r.created_at) });
const member = (r: Selectable<ProjectTables['project_members']>): ProjectMember => ({
  project: r.project, principalType: r.principal_type as MemberType, principal: r.principal, role: r.role as ProjectRole, grantedBy: r.granted_by, grantedAt: Number(r.granted_at),
});
const rank = (role: ProjectRole): number => PROJECT_ROLES.indexOf(role);
/** IN lists are split so no statement exceeds SQLite's or PostgreSQL's parameter limit. */
const CHUNK = 500;

export class SqlProjectStore implements ProjectStore {
  private readonly db: Kysely<Database>;
  constructor(handle: DatabaseHandle) {
    this.db = handle.db;
  }

  async insertProject(p: Project): Promise<boolean> {
    try {
      await this.db.insertInto('projects').values({ name: p.name, description: p.description, created_by: p.createdBy, created_at: p.createdAt }).execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
  async getProject(name: string): Promise<Project | undefined> {
    const r = await this.db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
    return r && project(r);
  }
  async listProjects(): Promise<Project[]> {
    return (await this.db.selectFrom('projects').selectAll().orderBy('name').execute()).map(project);
  }
  async updateProject(name: string, patch: { description: string }): Promise<boolean> {
    const r = await this.db.updateTable('projects').set({ description: patch.description }).where('name', '=', name).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
  async deleteProject(name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('project_members').where('project', '=', name).execute();
      const r = await trx.deleteFrom('projects').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async putMember(m: ProjectMember): Promise<void> {
    const row = { project: m.project, principal_type: m.principalType, principal: m.principal, role: m.role, granted_by: m.grantedBy, granted_at: m.grantedAt };
    await this.db
      .insertInto('project_members')
      .values(row)
      .onConflict((oc) => oc.columns(['project', 'principal_type', 'principal']).doUpdateSet({ role: m.role, granted_by: m.grantedBy, granted_at: m.grantedAt }))
      .execute();
  }
  async deleteMember(projectName: string, principalType: MemberType, principal: string): Promise<boolean> {
    const r = await this.db.deleteFrom('project_members').where('project', '=', projectName).where('principal_type', '=', principalType).where('principal', '=', principal).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
  async membersOf(projectName: string): Promise<ProjectMember[]> {
    return (await this.db.selectFrom('project_members').selectAll().where('project', '=', projectName).orderBy('principal_type').orderBy('principal').execute()).map(member);
  }
  async rolesOf(username: string, groups: readonly string[]): Promise<Map<string, ProjectRole>> {
    const rows = await this.db
      .selectFrom('project_members')
      .select(['project', 'role'])
      .where((eb) => eb.or([
        eb.and([eb('principal_type', '=', 'user'), eb('principal', '=', username)]),
        ...(groups.length > 0 ? [eb.and([eb('principal_type', '=', 'group'), eb('principal', 'in', [...groups])])] : []),
      ]))
      .execute();
    const roles = new Map<string, ProjectRole>();
    for (const r of rows) {
      const role = r.role as ProjectRole;
      const had = roles.get(r.project);
      if (had === undefined || rank(role) > rank(had)) roles.set(r.project, role);
    }
    return roles;
  }

  async assign(kind: ObjectKind, id: string, projectName: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('project_objects').where('resource_kind', '=', kind).where('resource_id', '=', id).execute();
      if (projectName !== DEFAULT_PROJECT) await trx.insertInto('project_objects').values({ resource_kind: kind, resource_id: id, project: projectName }).execute();
    });
  }
  async move(kind: ObjectKind, id: string, newId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('project_objects').where('resource_kind', '=', kind).where('resource_id', '=', newId).execute();
      await trx.updateTable('project_objects').set({ resource_id: newId }).where('resource_kind', '=', kind).where('resource_id', '=', id).execute();
    });
  }
  async projectsOf(kind: ObjectKind, ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const rows = await this.db.selectFrom('project_objects').select(['resource_id', 'project']).where('resource_kind', '=', kind).where('resource_id', 'in', unique.slice(i, i + CHUNK)).execute();
      for (const r of rows) out.set(r.resource_id, r.project);
    }
    return out;
  }
  async objectsIn(projectName: string): Promise<ProjectObject[]> {
    const rows = await this.db.selectFrom('project_objects').select(['resource_kind', 'resource_id']).where('project', '=', projectName).orderBy('resource_kind').orderBy('resource_id').execute();
    return rows.map((r) => ({ kind: r.resource_kind as ObjectKind, id: r.resource_id }));
  }
}
