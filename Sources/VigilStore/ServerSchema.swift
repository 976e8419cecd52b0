/// The people tables (migration 3, after the ingest tables of migration 2), for both engines, and the alert
/// life-cycle columns the triage API adds to migration 2's `alerts`.
public enum ServerSchema {
    /// Users, sessions, API tokens, the access log, alert comments and notification deliveries.
    /// `access_log.id` only grows (AUTOINCREMENT / a sequence taken under a lock at insert) so a drain job
    /// can append rows to the ledger in id order; rows are never updated or deleted by the server.
    public static func people(_ dialect: SQLDialect) -> Migration {
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY"
        let big = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return Migration(
            version: 3, name: "users, sessions, API tokens, access log, alert comments, notification deliveries",
            sql: """
                CREATE TABLE users (
                    id \(id),
                    name TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'auditor')),
                    password_hash TEXT NOT NULL,
                    totp_secret TEXT NOT NULL,
                    totp_last_counter \(big) NOT NULL DEFAULT 0,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    failed_attempts INTEGER NOT NULL DEFAULT 0,
                    locked_until \(big) NOT NULL DEFAULT 0,
                    created_at \(big) NOT NULL,
                    updated_at \(big) NOT NULL
                );
                CREATE TABLE sessions (
                    id \(id),
                    token_hash TEXT NOT NULL UNIQUE,
                    user_id \(big) NOT NULL REFERENCES users(id),
                    csrf_token TEXT NOT NULL,
                    created_at \(big) NOT NULL,
                    last_seen_at \(big) NOT NULL,
                    expires_at \(big) NOT NULL,
                    remote_address TEXT,
                    ended_at \(big)
                );
                CREATE INDEX sessions_user ON sessions (user_id);
                CREATE TABLE api_tokens (
                    id \(id),
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'auditor')),
                    created_by TEXT NOT NULL,
                    created_at \(big) NOT NULL,
                    expires_at \(big),
                    last_used_at \(big),
                    revoked_at \(big)
                );
                CREATE TABLE access_log (
                    id \(id),
                    time \(big) NOT NULL,
                    principal_kind TEXT NOT NULL,
                    principal TEXT,
                    role TEXT,
                    method TEXT NOT NULL,
                    path TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    remote_address TEXT,
                    read_what TEXT,
                    outcome TEXT
                );
                CREATE INDEX access_log_time ON access_log (time DESC);
                ALTER TABLE alerts ADD COLUMN acknowledged_by TEXT;
                ALTER TABLE alerts ADD COLUMN acknowledged_at \(big);
                ALTER TABLE alerts ADD COLUMN resolved_by TEXT;
                ALTER TABLE alerts ADD COLUMN resolved_at \(big);
                ALTER TABLE alerts ADD COLUMN comment TEXT;
                CREATE TABLE alert_comments (
                    id \(id),
                    alert_id \(big) NOT NULL REFERENCES alerts(id),
                    time \(big) NOT NULL,
                    author TEXT NOT NULL,
                    action TEXT NOT NULL,
                    comment TEXT NOT NULL
                );
                CREATE INDEX alert_comments_alert ON alert_comments (alert_id);
                CREATE TABLE notification_deliveries (
                    id \(id),
                    alert_id \(big) NOT NULL,
                    notifier TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    time \(big) NOT NULL,
                    succeeded INTEGER NOT NULL,
                    detail TEXT
                );
                CREATE INDEX notification_deliveries_alert ON notification_deliveries (alert_id);
                """)
    }

    /// Agent policies (migration 5): one row per version, never updated. `payload` is the exact JSON text the
    /// signature covers (base64 of it goes to agents), so a policy is signed once, when it is set, and every node
    /// sends the same bytes. The highest version is the one in force.
    public static func policies(_ dialect: SQLDialect) -> Migration {
        let big = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return Migration(
            version: 5, name: "agent policies",
            sql: """
                CREATE TABLE agent_policies (
                    version \(big) PRIMARY KEY CHECK (version > 0),
                    issued_at \(big) NOT NULL,
                    payload TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    set_by TEXT NOT NULL
                );
                """)
    }
}
