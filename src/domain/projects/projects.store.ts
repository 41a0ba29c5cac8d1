import type { ObjectKind } from '../access/access.js';
import type { MemberType, Project, ProjectMember, ProjectObject, ProjectRole } from './types.js';

/** What the permission decision reads: which project objects are in, and the projects a user belongs to. */
export interface ProjectDirectory {
  /** The project of each of these objects that is in one other than the default (absent: default). */
  projectsOf(kind: ObjectKind, ids: readonly string[]): Promise<Map<string, string>>;
  /** The best role per project of this user, directly or through these groups. */
  rolesOf(username: string, groups: readonly string[]): Promise<Map<string, ProjectRole>>;
}

export interface ProjectStore extends ProjectDirectory {
  /** False when the name is taken. */
  insertProject(project: Project): Promise<boolean>;
  getProject(name: string): Promise<Project | undefined>;
  listProjects(): Promise<Project[]>;
  updateProject(name: string, patch: { description: string }): Promise<boolean>;
  /** Drops the project and its memberships; false when it does not exist. */
  deleteProject(name: string): Promise<boolean>;

  /** Inserts or replaces one principal's role. */
  putMember(member: ProjectMember): Promise<void>;
  deleteMember(project: string, principalType: MemberType, principal: string): Promise<boolean>;
  membersOf(project: string): Promise<ProjectMember[]>;

  /** Puts an object in a project (the default project: removes its row). */
  assign(kind: ObjectKind, id: string, project: string): Promise<void>;
  /** A renamed object stays in its project. */
  move(kind: ObjectKind, id: string, newId: string): Promise<void>;
  /** Objects placed in this project (never the default project's: those have no rows). */
  objectsIn(project: string): Promise<ProjectObject[]>;
}
