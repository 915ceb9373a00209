/**
 * Versioned schema migrations of the PostgreSQL store, applied in order, each in its own transaction, under
 * one advisory lock (PG_MIGRATION_LOCK) so that replicas starting together migrate once; the table
 * `schema_migrations` holds the versions applied. Never edit a released migration: append a new one.
 *
 * Version 1 is the SQLite schema as of its migration 4 (src/store/migrations.ts) in PostgreSQL's types:
 * times in ms since the epoch as BIGINT, ids as identity columns. One addition: deliveries.lease_owner,
 * the replica holding a delivery's lease, so that an outcome is recorded only by the lease's holder.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    app_namespace TEXT NOT NULL,
    app_name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by_event BIGINT,
    UNIQUE (app_namespace, app_name, started_at)
  );

  CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    incident_id TEXT REFERENCES incidents (id),
    kind TEXT NOT NULL,
    event_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'routed')),
    received_at BIGINT NOT NULL,
    routed_at BIGINT,
    report_json TEXT,
    findings_json TEXT,
    enrich_attempts INTEGER NOT NULL DEFAULT 0,
    enrich_solo_attempts INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_pending ON events (state, id);

  CREATE TABLE deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    event_id BIGINT NOT NULL REFERENCES events (id),
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'sent', 'failed', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    lease_owner TEXT,
    last_error TEXT,
    ref TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT,
    first_attempt_at BIGINT,
    UNIQUE (incident_id, target, kind)
  );
  CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
  CREATE INDEX deliveries_thread ON deliveries (incident_id, target, id);

  CREATE TABLE captures (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster TEXT NOT NULL,
    namespace TEXT NOT NULL,
    job_name TEXT NOT NULL,
    job_uid TEXT,
    pod_name TEXT NOT NULL,
    pod_uid TEXT NOT NULL,
    reason TEXT NOT NULL,
    captured_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    snapshot_json TEXT NOT NULL,
    UNIQUE (cluster, pod_uid)
  );
  CREATE INDEX captures_job ON captures (cluster, namespace, job_name, captured_at);
  CREATE INDEX captures_age ON captures (captured_at);

  CREATE TABLE email_attempts (
    delivery_id BIGINT PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    data_started_at BIGINT NOT NULL,
    answer_code INTEGER,
    answer_text TEXT,
    answered_at BIGINT
  );
  `,
];

/**
 * The advisory lock key of migrations (any constant: it only has to be the same in every replica and
 * unlike other applications' keys in the same database).
 */
export const PG_MIGRATION_LOCK = 0x48_4b_41_4c; // "HKAL"
