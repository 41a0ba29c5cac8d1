/** Governance tables. Times are epoch milliseconds. */
export interface GovernanceTables {
  gov_users: { username: string; password_hash: string; role: string; email: string | null; created_at: number };
  gov_tokens: { token_id: string; username: string; token_hash: string; name: string; scopes: string; expires_at: number | null; revoked_at: number | null; created_at: number };
  gov_groups: { name: string; description: string; created_at: number };
  gov_group_members: { group_name: string; username: string };
  gov_permissions: { resource_kind: string; resource_id: string; principal_type: string; principal: string; level: string; granted_by: string; granted_at: number };
  gov_signin_failures: { username: string; source_ip: string; at: number };
  gov_oidc_identities: { issuer: string; subject: string; username: string; created_at: number };
  gov_sessions: { session_hash: string; username: string; csrf_token: string; created_at: number; expires_at: number };
  gov_audit_log: {
    seq: number; at: number; actor: string; action: string; status: number; request_id: string; source_ip: string; summary: string;
    object: string; detail: string; prev_hash: string; hash: string; key_id: string;
  };
}
