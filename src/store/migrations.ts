/**
 * Versioned schema migrations, applied in order inside one transaction each; PRAGMA user_version holds the
 * version reached. Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    app_namespace TEXT NOT NULL,
    app_name TEXT NOT NULL,
    started_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    resolved_at INTEGER,
    resolved_by_event INTEGER,
    UNIQUE (app_namespace, app_name, started_at)
  );
  CREATE INDEX incidents_open ON incidents (app_namespace, app_name, state);

  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    incident_id TEXT REFERENCES incidents (id),
    kind TEXT NOT NULL,
    event_json TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'routed')),
    received_at INTEGER NOT NULL,
    routed_at INTEGER,
    report_json TEXT,
    findings_json TEXT
  );
  CREATE INDEX events_pending ON events (state, id);

  CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    event_id INTEGER NOT NULL REFERENCES events (id),
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'sent', 'failed', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_error TEXT,
    ref TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    sent_at INTEGER,
    -- When the first attempt started: an attempt cut short may have sent it, and a sink that can look
    -- (Slack's channel history) searches from here on.
    first_attempt_at INTEGER,
    UNIQUE (incident_id, target, kind)
  );
  CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
  CREATE INDEX deliveries_thread ON deliveries (incident_id, target, id);

  -- One snapshot per hook pod (= per attempt): a later capture of the same pod replaces it.
  CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    cluster TEXT NOT NULL,
    namespace TEXT NOT NULL,
    job_name TEXT NOT NULL,
    job_uid TEXT,
    pod_name TEXT NOT NULL,
    pod_uid TEXT NOT NULL,
    reason TEXT NOT NULL,
    captured_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    snapshot_json TEXT NOT NULL,
    UNIQUE (cluster, pod_uid)
  );
  CREATE INDEX captures_job ON captures (cluster, namespace, job_name, captured_at);
  CREATE INDEX captures_age ON captures (captured_at);
  `,
  // 2: the UNIQUE (app_namespace, app_name, started_at) index already finds an app's incidents (few, after the
  // retention sweep); a second index on (app_namespace, app_name, state) only cost every new incident one more
  // random B-tree page in the WAL (intake writes ~13 % faster without it).
  `
  DROP INDEX incidents_open;
  `,
  // 3: enrichment attempts are recorded before they start, so that an event whose enrichment killed the
  // process is recognized on the next start (retried alone, then delivered without enrichment).
  `
  ALTER TABLE events ADD COLUMN enrich_attempts INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE events ADD COLUMN enrich_solo_attempts INTEGER NOT NULL DEFAULT 0;
  `,
  // 4: the email sink records each SMTP transaction that reaches DATA before the DATA command leaves, and
  // the server's answer to the end of the message the instant it arrives, so that a delivery cut short by a
  // crash after the server accepted it is not sent again (docs/design.md, "Crash windows"). One row per
  // delivery: its last transaction that reached DATA.
  `
  CREATE TABLE email_attempts (
    delivery_id INTEGER PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    data_started_at INTEGER NOT NULL,
    answer_code INTEGER,
    answer_text TEXT,
    answered_at INTEGER
  );
  `,
  // 5: PostgreSQL's alone (lease owners, src/store/postgres/pg-migrations.ts); SQLite's leases belong to its
  // one process. Kept here, empty, so that a version number means the same schema step on both stores.
  `
  -- nothing to do in SQLite
  `,
  // 6: a dead or failed delivery can be sent again (`deliveries retry`): who asked and when. The age limit
  // (worker.retry.maxAgeMs) counts from the replay, else a replay of a delivery that died of age would die
  // again at its first failed attempt.
  `
  ALTER TABLE deliveries ADD COLUMN replayed_at INTEGER;
  ALTER TABLE deliveries ADD COLUMN replayed_by TEXT;
  `,
];
