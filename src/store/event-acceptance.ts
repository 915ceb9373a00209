/**
 * The SQL of accepting events, on plain rows. It imports nothing but better-sqlite3, because the
 * intake writer thread runs it: every module a worker thread loads costs memory in its own V8 isolate
 * (the store with its zod schemas made the thread cost ~25 MiB; this alone, ~5 MiB).
 */
import Database from 'better-sqlite3';

export type AcceptResult = { incidentId: string; duplicate: boolean } | { ignored: string };

/** How long a connection waits for another's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;

/** True for SQLite's "another connection holds the lock" errors (SQLITE_BUSY and its extended codes). */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** An event as the store records it, everything derived from it computed by the caller (main thread). */
export interface AcceptRow {
  dedupeKey: string;
  kind: string;
  /** The normalized event, serialized once by the caller: a string crosses threads as one copy. */
  eventJson: string;
  appNamespace: string;
  appName: string;
  /** The incident this event opens or joins; null when the event names no operation. */
  incident: { id: string; startedAt: string } | null;
  /** A successful sync with hook Jobs to check (hook-skipped): kept even when it resolves nothing. */
  checksHooks: boolean;
  now: number;
}

/** Prepared statements of one connection: preparing costs more than running, so each SQL text is prepared once. */
export class StatementCache {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** The prepared statement for `sql`. */
  get<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt as Database.Statement<P, R>;
  }
}

function insertEvent(sql: StatementCache, row: AcceptRow, incidentId: string): number {
  const info = sql
    .get(`INSERT INTO events (dedupe_key, incident_id, kind, event_json, state, received_at) VALUES (?, ?, ?, ?, 'pending', ?)`)
    .run(row.dedupeKey, incidentId, row.kind, row.eventJson, row.now);
  return Number(info.lastInsertRowid);
}

/** Open (or find) the event's incident, created in `state` when new, and record the event in it. */
function recordInIncident(sql: StatementCache, row: AcceptRow, incident: { id: string; startedAt: string }, state: 'open' | 'resolved'): AcceptResult {
  sql
    .get(
      `INSERT INTO incidents (id, app_namespace, app_name, started_at, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at`,
    )
    .run(incident.id, row.appNamespace, row.appName, incident.startedAt, state, row.now, row.now);
  insertEvent(sql, row, incident.id);
  return { incidentId: incident.id, duplicate: false };
}

function acceptResolution(sql: StatementCache, row: AcceptRow): AcceptResult {
  const open = sql
    .get<[string, string], { id: string }>(
      `SELECT id FROM incidents WHERE app_namespace = ? AND app_name = ? AND state = 'open' ORDER BY started_at DESC`,
    )
    .all(row.appNamespace, row.appName);
  const newest = open[0];
  if (newest === undefined) {
    if (!row.checksHooks || row.incident === null) return { ignored: 'sync succeeded and the app has no open incident to resolve' };
    // Its own incident, born resolved: nothing failed, but its hook Jobs are checked (model/skipped-hooks.ts).
    return recordInIncident(sql, row, row.incident, 'resolved');
  }
  const eventId = insertEvent(sql, row, newest.id);
  const resolve = sql.get(`UPDATE incidents SET state = 'resolved', resolved_at = ?, resolved_by_event = ?, updated_at = ? WHERE id = ?`);
  for (const incident of open) resolve.run(row.now, eventId, row.now, incident.id);
  return { incidentId: newest.id, duplicate: false };
}

/**
 * Record one event (inside the caller's transaction): recognize a repeat by its dedupe key, open (or find)
 * its incident, or, for a successful sync, resolve the app's open incidents.
 */
function acceptRow(sql: StatementCache, row: AcceptRow): AcceptResult {
  const seen = sql.get<[string], { incident_id: string | null }>('SELECT incident_id FROM events WHERE dedupe_key = ?').get(row.dedupeKey);
  if (seen !== undefined && seen.incident_id !== null) return { incidentId: seen.incident_id, duplicate: true };
  if (row.kind === 'sync-succeeded') return acceptResolution(sql, row);
  if (row.incident === null) return { ignored: 'the event has no operationState.startedAt to identify the operation' };
  return recordInIncident(sql, row, row.incident, 'open');
}

/** Record several events in one IMMEDIATE transaction (group commit): one fsync for the batch. */
export function acceptRows(db: Database.Database, sql: StatementCache, rows: readonly AcceptRow[]): AcceptResult[] {
  return db.transaction(() => rows.map((row) => acceptRow(sql, row))).immediate();
}

/**
 * Checkpoint the WAL into the database every 10,000 pages (~40 MiB) instead of SQLite's 1,000: index pages
 * that many commits touch are copied once per checkpoint rather than once per 1,000 pages, which made the
 * intake commit ~20 % cheaper. The WAL file keeps that size on disk between checkpoints.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Open a connection with the store's settings. WAL; synchronous=FULL so that an event answered 202 survives
 * a power cut too, not only a process crash; foreign keys; a busy timeout for the second connection.
 */
export function openConnection(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  return db;
}
