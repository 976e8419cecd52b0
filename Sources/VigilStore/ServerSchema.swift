/// The server's tables after events: alerts (migration 2) and people (migration 3), for both engines.
///
/// Migration 2 here is a placeholder: replaced by the ingest branch's migration 2 at merge. It creates only
/// the `alerts` columns the read API and alert life cycle rely on (agreed with the ingest branch).
public enum ServerSchema {
    // placeholder: replaced by the ingest branch's migration 2 at merge
    public static let alertsPlaceholderSQLite = Migration(
        version: 2, name: "alerts (placeholder)",
        sql: """
            CREATE TABLE alerts (
                id INTEGER PRIMARY KEY,
                rule_id TEXT NOT NULL,
                rule_title TEXT NOT NULL,
                level TEXT NOT NULL,
                host_id INTEGER REFERENCES hosts(id),
                event_uid TEXT,
                time INTEGER NOT NULL,
                status TEXT NOT NULL DEFAULT 'open',
                dedup_key TEXT NOT NULL,
                repeat_count INTEGER NOT NULL DEFAULT 1,
                matched_fields TEXT NOT NULL DEFAULT '{}',
                acknowledged_by TEXT,
                acknowledged_at INTEGER,
                resolved_by TEXT,
                resolved_at INTEGER,
                comment TEXT
            );
            CREATE INDEX alerts_time ON alerts (time DESC);
            """)

    // placeholder: replaced by the ingest branch's migration 2 at merge
    public static let alertsPlaceholderPostgres = Migration(
        version: 2, name: "alerts (placeholder)",
        sql: """
            CREATE TABLE alerts (
                id BIGSERIAL PRIMARY KEY,
                rule_id TEXT NOT NULL,
                rule_title TEXT NOT NULL,
                level TEXT NOT NULL,
                host_id BIGINT REFERENCES hosts(id),
                event_uid TEXT,
                time BIGINT NOT NULL,
                status TEXT NOT NULL DEFAULT 'open',
                dedup_key TEXT NOT NULL,
                repeat_count INTEGER NOT NULL DEFAULT 1,
                matched_fields TEXT NOT NULL DEFAULT '{}',
                acknowledged_by TEXT,
                acknowledged_at BIGINT,
                resolved_by TEXT,
                resolved_at BIGINT,
                comment TEXT
            );
            CREATE INDEX alerts_time ON alerts (time DESC);
            """)

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
}
