/** Governance tables. Times are epoch milliseconds. */
export interface GovernanceTables {
  gov_users: { username: string; password_hash: string; role: string; created_at: number };
  gov_tokens: { token_id: string; username: string; token_hash: string; name: string; expires_at: number | null; revoked_at: number | null; created_at: number };
  gov_audit_log: {
    seq: number; at: number; actor: string; action: string; status: number; request_id: string; source_ip: string; summary: string; prev_hash: string; hash: string;
  };
}
