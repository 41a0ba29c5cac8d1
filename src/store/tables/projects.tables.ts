/** Project tables. Times are epoch milliseconds. */
export interface ProjectTables {
  projects: { name: string; description: string; created_by: string; created_at: number };
  project_members: { project: string; principal_type: string; principal: string; role: string; granted_by: string; granted_at: number };
  project_objects: { resource_kind: string; resource_id: string; project: string };
}
