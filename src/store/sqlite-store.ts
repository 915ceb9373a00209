import { accessSync, constants, existsSync } from 'node:fs';
import { makeDirectory } from '../make-directory.js';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { SqliteCaptureStore } from './capture-store.js';
import { SqliteEmailAttempts } from './email-attempts.js';
import { MIGRATIONS } from './migrations.js';
import { errors, describeError } from '../errors.js';
import { hookEventSchema, incidentId, incidentKey, type HookEvent } from '../model/hook-event.js';
import { alertReportSchema, type AlertReport } from '../model/job-report.js';
import { findingSchema, type Finding } from '../model/finding.js';
import { z } from 'zod';
import { acceptRows, BUSY_TIMEOUT_MS, isBusy, openConnection, StatementCache, type AcceptResult, type AcceptRow } from './event-acceptance.js';
import type { deliveryListingRowSchema } from './alert-store.js';
import {
  incidentDeliveriesSql,
  incidentEventsSql,
  incidentSummarySql,
  listIncidentsQuery,
  SQLITE_DIALECT,
  toIncidentDetail,
  toIncidentPage,
  type IncidentDeliveryRow,
  type IncidentDetail,
  type IncidentEventRow,
  type IncidentFilter,
  type IncidentPage,
  type IncidentSummaryRow,
} from './incident-reads.js';
import { deliveryKindSchema, listDeliveriesSql, REPLAYABLE_STATES, toDeliveryListing } from './alert-store.js';
import type { AlertStore, ClaimedDelivery, DeliveryListing, DeliveryState, NewDelivery, PendingEvent, ReplayResult } from './alert-store.js';

export const DATABASE_FILE = 'hook-alerts.db';

export type { AcceptResult } from './event-acceptance.js';
export type { ClaimedDelivery, DeliveryState, NewDelivery, PendingEvent } from './alert-store.js';

/** The row the store records for an event; computed on the calling thread (the writer thread gets rows). */
export function toAcceptRow(event: HookEvent, dedupeKey: string, now: number): AcceptRow {
  const key = incidentKey(event);
  return {
    dedupeKey,
    kind: event.kind,
    eventJson: JSON.stringify(event),
    appNamespace: event.app.namespace,
    appName: event.app.name,
    incident: key === null ? null : { id: incidentId(key), startedAt: key.startedAt },
    checksHooks: event.kind === 'sync-succeeded' && event.hooks.length > 0,
    now,
  };
}

interface DeliveryRow {
  id: number;
  incident_id: string;
  target: string;
  kind: string;
  state: DeliveryState;
  attempts: number;
  created_at: number;
  age_from: number;
  first_attempt_at: number | null;
  event_json: string;
  report_json: string | null;
  findings_json: string | null;
}

const findingsSchema = z.array(findingSchema);

/**
 * Why the data directory or database file cannot be written (read-only volume, permissions), or null.
 * SQLite reports both only as "unable to open database file" or "attempt to write a readonly database",
 * which must not read as corruption: the fix is the volume, not moving the database away.
 */
function notWritable(dataDir: string, file: string): string | null {
  for (const path of [dataDir, file]) {
    if (!existsSync(path)) continue;
    try {
      accessSync(path, constants.W_OK);
    } catch (err) {
      return describeError(err);
    }
  }
  return null;
}

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const result = schema.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`stored ${what} does not match this build's schema: ${result.error.message}`);
  return result.data;
}

/**
 * The embedded store (better-sqlite3, WAL). Write transactions BEGIN IMMEDIATE: with a second connection
 * (the intake writer thread) a deferred transaction that reads, then writes, could fail with
 * SQLITE_BUSY_SNAPSHOT instead of waiting for the lock.
 * Every accepted event is committed before intake answers 202;
 * the worker claims work from here with leases so that a crash at any point loses nothing.
 */
export class SqliteStore implements AlertStore {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  #db: Database.Database;
  #statements: StatementCache;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.#db = db;
    this.#statements = new StatementCache(db);
  }

  /** The database file (or ':memory:'). */
  get location(): string {
    return this.file;
  }

  /** Open (and migrate) the store in a directory; ':memory:' for tests. */
  static open(dataDir: string): SqliteStore {
    let file = ':memory:';
    if (dataDir !== ':memory:') {
      try {
        makeDirectory(dataDir);
      } catch (err) {
        throw errors.storeNotWritable(dataDir, `cannot create it: ${describeError(err)}`);
      }
      file = join(dataDir, DATABASE_FILE);
    }
    let db: Database.Database;
    try {
      db = openConnection(file);
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check: ${String(check)}`);
    } catch (err) {
      const denied = dataDir === ':memory:' ? null : notWritable(dataDir, file);
      throw denied === null ? errors.storeCorrupt(file, describeError(err)) : errors.storeNotWritable(dataDir, denied);
    }
    const store = new SqliteStore(file, db);
    store.#migrate();
    return store;
  }

  #sql<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    return this.#statements.get<P, R>(sql);
  }

  #migrate(): void {
    const version = Number(this.#db.pragma('user_version', { simple: true }));
    if (version > MIGRATIONS.length) {
      this.#db.close();
      throw errors.storeNewerSchema(this.file, version, MIGRATIONS.length);
    }
    MIGRATIONS.slice(version).forEach((sql, i) => {
      this.#db.transaction(() => {
        this.#db.exec(sql);
        this.#db.pragma(`user_version = ${version + i + 1}`);
      }).immediate();
    });
  }

  /** Schema version of the open database. */
  schemaVersion(): number {
    return Number(this.#db.pragma('user_version', { simple: true }));
  }

  /**
   * Persist an event in one transaction: recognize a repeat by its dedupe key, open (or find) its incident,
   * or, for a successful sync, resolve the app's open incidents.
   */
  acceptEvent(event: HookEvent, dedupeKey: string, now: number): AcceptResult {
    const [result] = acceptRows(this.#db, this.#statements, [toAcceptRow(event, dedupeKey, now)]);
    if (result === undefined) throw new Error('the store returned no result for the event');
    return result;
  }

  /**
   * Persist several events in one transaction (group commit): one fsync for the batch instead of one per
   * event. All commit or none does; each item gets the answer `acceptEvent` would have given it.
   */
  acceptEvents(batch: readonly { event: HookEvent; dedupeKey: string; now: number }[]): AcceptResult[] {
    return acceptRows(this.#db, this.#statements, batch.map((item) => toAcceptRow(item.event, item.dedupeKey, item.now)));
  }

  /** Events accepted but not yet routed, oldest first, leaving out `except` (those being enriched). */
  pendingEvents(limit: number, except: readonly number[] = []): PendingEvent[] {
    return this.#sql<[string, number], { id: number; incident_id: string; event_json: string; enrich_attempts: number; enrich_solo_attempts: number }>(
        `SELECT id, incident_id, event_json, enrich_attempts, enrich_solo_attempts FROM events
         WHERE state = 'pending' AND incident_id IS NOT NULL AND id NOT IN (SELECT value FROM json_each(?))
         ORDER BY id LIMIT ?`,
      )
      .all(JSON.stringify(except), limit)
      .map((row) => ({
        id: row.id,
        incidentId: row.incident_id,
        event: parseJson(hookEventSchema, row.event_json, `event ${row.id}`),
        enrichAttempts: row.enrich_attempts,
        enrichSoloAttempts: row.enrich_solo_attempts,
      }));
  }

  /**
   * Record that an event's enrichment starts (`solo`: with no other enrichment running, until
   * markEnrichmentShared says otherwise), before any request leaves: if the process dies during it, the
   * next start sees the attempt that never finished, and whether it ran alone.
   */
  markEnrichmentStarted(eventId: number, solo: boolean): void {
    this.#sql(`UPDATE events SET enrich_attempts = enrich_attempts + 1, enrich_solo_attempts = enrich_solo_attempts + ? WHERE id = ?`)
      .run(solo ? 1 : 0, eventId);
  }

  /** An enrichment recorded as running alone has company now: it no longer counts as a lone attempt. */
  markEnrichmentShared(eventId: number): void {
    this.#sql(`UPDATE events SET enrich_solo_attempts = MAX(0, enrich_solo_attempts - 1) WHERE id = ?`).run(eventId);
  }

  /** Take back a start recorded by markEnrichmentStarted: the service stopped it on purpose (shutdown), it did not crash. */
  markEnrichmentAbandoned(eventId: number, solo: boolean): void {
    this.#sql(
        `UPDATE events SET enrich_attempts = MAX(0, enrich_attempts - 1), enrich_solo_attempts = MAX(0, enrich_solo_attempts - ?) WHERE id = ?`,
      )
      .run(solo ? 1 : 0, eventId);
  }

  /** Incidents that a sync-succeeded event resolved. */
  incidentsResolvedBy(eventId: number): string[] {
    return this.#sql<[number], { id: string }>('SELECT id FROM incidents WHERE resolved_by_event = ? ORDER BY id')
      .all(eventId)
      .map((r) => r.id);
  }

  /** Distinct targets an incident was (or is being) delivered to, in first-delivery order. */
  targetsOfIncident(incident: string): string[] {
    return this.#sql<[string], { target: string }>(
        `SELECT target FROM deliveries WHERE incident_id = ? GROUP BY target ORDER BY MIN(id)`,
      )
      .all(incident)
      .map((r) => r.target);
  }

  /** Record enrichment and routing of an event and create its deliveries (idempotent per incident, target, kind). */
  routeEvent(eventId: number, report: AlertReport | null, findings: Finding[], deliveries: NewDelivery[], now: number): void {
    this.#db.transaction(() => {
      const insert = this.#sql(
        `INSERT INTO deliveries (incident_id, event_id, target, kind, state, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)
         ON CONFLICT (incident_id, target, kind) DO NOTHING`,
      );
      for (const d of deliveries) insert.run(d.incidentId, eventId, d.target, d.kind, now, now, now);
      this.#sql(
          `UPDATE events SET state = 'routed', routed_at = ?, report_json = ?, findings_json = ? WHERE id = ?`,
        )
        .run(now, report === null ? null : JSON.stringify(report), JSON.stringify(findings), eventId);
    }).immediate();
  }

  /**
   * Claim due deliveries under a lease. A delivery waits while an earlier one of the same incident and
   * target is unfinished, so a thread's root is always posted before its replies.
   */
  claimDueDeliveries(now: number, limit: number, leaseMs: number): ClaimedDelivery[] {
    return this.#db.transaction(() => {
      const rows = this.#sql<[number, number, number], DeliveryRow>(
          `SELECT d.id, d.incident_id, d.target, d.kind, d.state, d.attempts, d.created_at, d.first_attempt_at,
                  COALESCE(d.replayed_at, d.created_at) AS age_from, e.event_json, e.report_json, e.findings_json
           FROM deliveries d JOIN events e ON e.id = d.event_id
           WHERE ((d.state = 'pending' AND d.next_attempt_at <= ?) OR (d.state = 'in_flight' AND d.lease_until <= ?))
             AND NOT EXISTS (
               SELECT 1 FROM deliveries p
               WHERE p.incident_id = d.incident_id AND p.target = d.target AND p.id < d.id
                 AND p.state IN ('pending', 'in_flight'))
           ORDER BY d.next_attempt_at, d.id LIMIT ?`,
        )
        .all(now, now, limit);
      const lease = this.#sql(
        `UPDATE deliveries SET state = 'in_flight', lease_until = ?, attempts = attempts + 1, updated_at = ?,
           first_attempt_at = COALESCE(first_attempt_at, ?) WHERE id = ?`,
      );
      const root = this.#sql<[string, string], { ref: string }>(
        `SELECT ref FROM deliveries WHERE incident_id = ? AND target = ? AND state = 'sent' AND ref IS NOT NULL
         ORDER BY id LIMIT 1`,
      );
      return rows.map((row): ClaimedDelivery => {
        lease.run(now + leaseMs, now, now, row.id);
        return {
          id: row.id,
          incidentId: row.incident_id,
          target: row.target,
          kind: deliveryKindSchema.parse(row.kind),
          attempts: row.attempts + 1,
          createdAt: row.created_at,
          ageFrom: row.age_from,
          resumed: row.state === 'in_flight',
          firstAttemptAt: row.first_attempt_at ?? now,
          event: parseJson(hookEventSchema, row.event_json, `event of delivery ${row.id}`),
          report: row.report_json === null ? null : parseJson(alertReportSchema, row.report_json, 'report'),
          findings: row.findings_json === null ? [] : parseJson(findingsSchema, row.findings_json, 'findings'),
          threadRootRef: root.get(row.incident_id, row.target)?.ref ?? null,
        };
      });
    }).immediate();
  }

  /**
   * Release every lease at start-up: one process owns the store, so a lease still held belongs to a process
   * that died. The deliveries stay in flight, so their sinks know to look for an earlier send.
   */
  releaseLeases(now: number): number {
    return this.#sql(`UPDATE deliveries SET lease_until = ? WHERE state = 'in_flight' AND lease_until > ?`)
      .run(now, now).changes;
  }

  /** Mark a delivery sent, with the sink's reference (Slack ts, Message-ID, file path). */
  markSent(id: number, ref: string | null, now: number): void {
    this.#sql(
        `UPDATE deliveries SET state = 'sent', ref = ?, sent_at = ?, lease_until = NULL, last_error = NULL, updated_at = ? WHERE id = ?`,
      )
      .run(ref, now, now, id);
  }

  /** Put a delivery back for another attempt at `nextAttemptAt`. */
  markRetry(id: number, error: string, nextAttemptAt: number, now: number): void {
    this.#sql(
        `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?`,
      )
      .run(nextAttemptAt, error, now, id);
  }

  /** End a delivery: 'failed' for a permanent error, 'dead' when it outlived its maximum age. */
  markGivenUp(id: number, state: 'failed' | 'dead', error: string, now: number): void {
    this.#sql(`UPDATE deliveries SET state = ?, lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ?`)
      .run(state, error, now, id);
  }

  /** Deliveries (and events) not finished yet: the queue depth metric. */
  queueDepth(): { events: number; deliveries: number } {
    const events = this.#sql<[], { n: number }>(`SELECT COUNT(*) AS n FROM events WHERE state = 'pending'`)
      .get();
    const deliveries = this.#sql<[], { n: number }>(`SELECT COUNT(*) AS n FROM deliveries WHERE state IN ('pending', 'in_flight')`)
      .get();
    return { events: events?.n ?? 0, deliveries: deliveries?.n ?? 0 };
  }

  /** When the oldest unfinished delivery was queued or replayed (ms), or null: the backlog-age metric. */
  oldestUnfinishedDelivery(): number | null {
    return this.#sql<[], { at: number | null }>(
      `SELECT MIN(COALESCE(replayed_at, created_at)) AS at FROM deliveries WHERE state IN ('pending', 'in_flight')`,
    ).get()?.at ?? null;
  }

  /** Deliveries in id order (only those in `state` when given): `deliveries list`, tests, diagnostics. */
  listDeliveries(state?: DeliveryState): DeliveryListing[] {
    type Row = z.infer<typeof deliveryListingRowSchema>;
    const found = state === undefined
      ? this.#sql<[], Row>(listDeliveriesSql(null)).all()
      : this.#sql<[string], Row>(listDeliveriesSql('d.state = ?')).all(state);
    return found.map(toDeliveryListing);
  }

  /** Put a dead or failed delivery back to pending, due now, recording who asked and when (`deliveries retry`). */
  replayDelivery(id: number, by: string, now: number): ReplayResult {
    return this.#db.transaction((): ReplayResult => {
      const replayed = this.#sql(
          `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, lease_until = NULL, updated_at = ?, replayed_at = ?, replayed_by = ?
           WHERE id = ? AND state IN (SELECT value FROM json_each(?))`,
        )
        .run(now, now, now, by, id, JSON.stringify(REPLAYABLE_STATES)).changes;
      const row = this.#sql<[number], z.infer<typeof deliveryListingRowSchema>>(listDeliveriesSql('d.id = ?')).get(id);
      if (row === undefined) return { status: 'unknown' };
      return replayed === 1 ? { status: 'replayed', delivery: toDeliveryListing(row) } : { status: 'not_replayable', state: row.state };
    }).immediate();
  }

  /** Incidents newest first, filtered and paged: the incident page's list. */
  listIncidents(filter: IncidentFilter): IncidentPage {
    const { sql, params } = listIncidentsQuery(SQLITE_DIALECT, filter);
    return toIncidentPage(this.#sql<unknown[], IncidentSummaryRow>(sql).all(...params), filter.limit);
  }

  /** One incident with its events and deliveries, read in one transaction; null when unknown. */
  incidentDetail(id: string): IncidentDetail | null {
    return this.#db.transaction(() =>
      toIncidentDetail(
        this.#sql<[string], IncidentSummaryRow>(incidentSummarySql(SQLITE_DIALECT)).get(id),
        this.#sql<[string], IncidentEventRow>(incidentEventsSql(SQLITE_DIALECT)).all(id),
        this.#sql<[string], IncidentDeliveryRow>(incidentDeliveriesSql(SQLITE_DIALECT)).all(id),
      ),
    ).deferred();
  }

  /** The incident a delivery belongs to, or null when unknown: a primary-key read, unlike incidentDetail. */
  deliveryIncidentId(deliveryId: number): string | null {
    return this.#sql<[number], { incident_id: string }>('SELECT incident_id FROM deliveries WHERE id = ?').get(deliveryId)?.incident_id ?? null;
  }

  /** Fails when the database cannot take a write (disk full, read-only volume): readiness uses it. */
  checkWritable(): void {
    // Another connection holding the write lock (the pipeline thread's, the intake writer's) proves the file
    // takes writes; waiting for it would hold the probe, and the HTTP event loop with it.
    this.#db.pragma('busy_timeout = 0');
    try {
      this.#db.exec('BEGIN IMMEDIATE; ROLLBACK;');
    } catch (err) {
      if (!isBusy(err)) throw err;
    } finally {
      this.#db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /** Delete finished work older than the retention and expired captures; returns rows removed. */
  sweep(now: number, retentionMs: number): number {
    return this.#db.transaction(() => {
      const cutoff = now - retentionMs;
      const old = `SELECT id FROM incidents WHERE updated_at < ? AND NOT EXISTS (
        SELECT 1 FROM deliveries d WHERE d.incident_id = incidents.id AND d.state IN ('pending', 'in_flight'))`;
      let removed = this.#sql(`DELETE FROM deliveries WHERE incident_id IN (${old})`).run(cutoff).changes;
      removed += this.#sql(`DELETE FROM events WHERE incident_id IN (${old})`).run(cutoff).changes;
      removed += this.#sql(`DELETE FROM incidents WHERE id IN (${old})`).run(cutoff).changes;
      removed += this.#sql(`DELETE FROM captures WHERE expires_at < ?`).run(now).changes;
      return removed;
    }).immediate();
  }

  /** The captures table (snapshots of hook pods), on this store's connection, with its expiry and size cap. */
  captureStore(opts: { ttlMs: number; maxTotalBytes: number }): SqliteCaptureStore {
    return new SqliteCaptureStore(this.#db, opts);
  }

  /** The email sink's record of its SMTP transactions (table `email_attempts`), on this store's connection. */
  emailAttempts(): SqliteEmailAttempts {
    return new SqliteEmailAttempts(this.#db);
  }

  /** Run a PRAGMA on the store's connection and return its value (fault tests: max_page_count, query_only). */
  pragma(source: string): unknown {
    return this.#db.pragma(source, { simple: true });
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
