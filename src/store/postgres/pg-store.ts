import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { z } from 'zod';
import { errors } from '../../errors.js';
import { hookEventSchema, type HookEvent } from '../../model/hook-event.js';
import { alertReportSchema, type AlertReport } from '../../model/job-report.js';
import { findingSchema, type Finding } from '../../model/finding.js';
import type { EmailAttemptLog } from '../../model/email-attempt.js';
import {
  deliveryKindSchema,
  deliveryListingRowSchema,
  deliveryStateSchema,
  listDeliveriesSql,
  REPLAYABLE_STATES,
  toDeliveryListing,
  type AcceptResult,
  type AlertStore,
  type CaptureRepository,
  type ClaimedDelivery,
  type DeliveryListing,
  type DeliveryState,
  type NewDelivery,
  type PendingEvent,
  type ReplayResult,
} from '../alert-store.js';
import { toAcceptRow } from '../sqlite-store.js';
import {
  incidentDeliveriesSql,
  incidentDeliveryRowSchema,
  incidentEventRowSchema,
  incidentEventsSql,
  incidentSummaryRowSchema,
  incidentSummarySql,
  listIncidentsQuery,
  POSTGRES_DIALECT,
  toIncidentDetail,
  toIncidentPage,
  type IncidentDetail,
  type IncidentFilter,
  type IncidentPage,
} from '../incident-reads.js';
import type { AcceptRow } from '../event-acceptance.js';
import { PG_MIGRATIONS, PG_MIGRATION_LOCK } from './pg-migrations.js';
import {
  createMigrationClient,
  createPool,
  DATABASE_UNAVAILABLE,
  isUnavailable,
  redactPostgresUrl,
  type PgConnectionOptions,
} from './pg-connection.js';
import { PgCaptureStore } from './pg-capture-store.js';
import { int, rows, type Queryable } from './pg-rows.js';
import { PgEmailAttempts } from './pg-email-attempts.js';

const findingsSchema = z.array(findingSchema);

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const result = schema.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`stored ${what} does not match this build's schema: ${result.error.message}`);
  return result.data;
}

const pendingRowSchema = z.object({
  id: int,
  incident_id: z.string(),
  event_json: z.string(),
  enrich_attempts: int,
  enrich_solo_attempts: int,
});

const claimedRowSchema = z.object({
  id: int,
  incident_id: z.string(),
  target: z.string(),
  kind: deliveryKindSchema,
  prior_state: deliveryStateSchema,
  attempts: int,
  created_at: int,
  age_from: int,
  first_attempt_at: int,
  event_json: z.string(),
  report_json: z.string().nullable(),
  findings_json: z.string().nullable(),
  thread_root_ref: z.string().nullable(),
});

const idRow = z.object({ id: int });
const textIdRow = z.object({ id: z.string() });
const incidentOfRow = z.object({ incident_id: z.string().nullable() });

// A transaction that lost a deadlock or a serialization check against another replica is run again; the
// same event posted to two replicas at once is the usual cause, and its second run sees the first's rows.
// So is a unique violation (23505): two replicas inserting one new incident at once collide on its second
// unique index (app, operation start), which INSERT ... ON CONFLICT (id) does not arbitrate; run again,
// the loser finds the winner's committed row and updates it instead.
const RETRIED_SQLSTATES = new Set(['40001', '40P01', '23505']);
const TRANSACTION_RUNS = 5;

function sqlState(err: unknown): string | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/** The error to throw for a failure of the database: an unreachable one gets a code intake answers with 503. */
function storeError(err: unknown): unknown {
  if (!isUnavailable(err)) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return Object.assign(new Error(`database unreachable: ${detail}`, { cause: err }), { code: DATABASE_UNAVAILABLE });
}

/** Options of the PostgreSQL store besides where it connects. */
export interface PgStoreOptions extends PgConnectionOptions {
  /** This process's name on the leases it takes; default host name, pid and a random suffix. */
  ownerId?: string;
  /**
   * How long a pending event stays with the replica that took it (ms of the wall clock): longer than an
   * enrichment may take (kubernetes.bounds.deadlineMs); default 5 minutes.
   */
  eventLeaseMs?: number;
}

/**
 * The store on PostgreSQL, for several replicas on one database. Each replica accepts events (dedupe by
 * INSERT ... ON CONFLICT, so the same event posted to two replicas gives one incident), and the worker of
 * each claims deliveries with FOR UPDATE SKIP LOCKED under a lease that names its owner, so each delivery
 * is sent by one replica at a time. A replica that dies leaves its leases to run out; another then takes
 * them over as resumed deliveries, and the sinks' crash-window checks (Slack's message metadata, the
 * email attempt log) keep a second send from happening.
 */
export class PgStore implements AlertStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  /** Written on each lease this process takes (deliveries.lease_owner). */
  readonly ownerId: string;
  readonly #pool: pg.Pool;
  readonly #eventLeaseMs: number;
  #closed = false;

  private constructor(pool: pg.Pool, location: string, ownerId: string, eventLeaseMs: number) {
    this.#pool = pool;
    this.location = location;
    this.ownerId = ownerId;
    this.#eventLeaseMs = eventLeaseMs;
  }

  /** Connect, migrate under the advisory lock (safe when replicas start together), and open the pool. */
  static async open(opts: PgStoreOptions): Promise<PgStore> {
    const location = redactPostgresUrl(opts.url);
    await migrate(opts, location);
    const pool = createPool(opts);
    return new PgStore(pool, location, opts.ownerId ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`, opts.eventLeaseMs ?? 300_000);
  }

  async #query(run: (db: Queryable) => Promise<unknown>): Promise<void> {
    try {
      await run(this.#pool);
    } catch (err) {
      throw storeError(err);
    }
  }

  async #read<T>(schema: z.ZodType<T>, sql: string, params: unknown[] = []): Promise<T[]> {
    let result: pg.QueryResult;
    try {
      result = await this.#pool.query(sql, params);
    } catch (err) {
      throw storeError(err);
    }
    return z.array(schema).parse(result.rows);
  }

  /** Run `work` in a transaction, again when it lost a deadlock or serialization check. */
  async #transaction<T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let run = 1; ; run += 1) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (err) {
        throw storeError(err);
      }
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (err) {
        // A broken connection is not put back in the pool.
        const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
        client.release(!rolledBack);
        const state = sqlState(err);
        if (state !== null && RETRIED_SQLSTATES.has(state) && run < TRANSACTION_RUNS) continue;
        throw storeError(err);
      }
    }
  }

  /** Highest migration applied. */
  async schemaVersion(): Promise<number> {
    const [row] = await this.#read(z.object({ v: int.nullable() }), 'SELECT MAX(version) AS v FROM schema_migrations');
    return row?.v ?? 0;
  }

  async acceptEvent(event: HookEvent, dedupeKey: string, now: number): Promise<AcceptResult> {
    const [result] = await this.acceptEvents([{ event, dedupeKey, now }]);
    if (result === undefined) throw new Error('the store returned no result for the event');
    return result;
  }

  /** Several events in one transaction: all commit or none does (as SqliteStore.acceptEvents). */
  async acceptEvents(batch: readonly { event: HookEvent; dedupeKey: string; now: number }[]): Promise<AcceptResult[]> {
    const accepted = batch.map((item) => toAcceptRow(item.event, item.dedupeKey, item.now));
    return this.#transaction(async (db) => {
      const results: AcceptResult[] = [];
      for (const row of accepted) results.push(await acceptRow(db, row));
      return results;
    });
  }

  /**
   * Take pending events for this replica under a lease (wall clock: the calls carry no time): events
   * another live replica holds are left out, and so are the later events of an app one of whose events
   * another replica holds, so that an app's events are routed in order across replicas. An event whose
   * holder died comes back once its lease ran out, with the enrichment attempts that holder recorded.
   */
  async pendingEvents(limit: number, except: readonly number[] = []): Promise<PendingEvent[]> {
    const now = Date.now();
    const found = await this.#transaction((db) =>
      rows(
        db,
        pendingRowSchema,
        `WITH taken AS (
           SELECT e.id FROM events e JOIN incidents i ON i.id = e.incident_id
           WHERE e.state = 'pending' AND NOT (e.id = ANY($1::bigint[]))
             AND (e.enrich_owner IS NULL OR e.enrich_owner = $3 OR e.enrich_lease_until <= $4)
             AND NOT EXISTS (
               SELECT 1 FROM events o JOIN incidents oi ON oi.id = o.incident_id
               WHERE o.state = 'pending' AND o.id < e.id AND oi.app_namespace = i.app_namespace AND oi.app_name = i.app_name
                 AND o.enrich_owner <> $3 AND o.enrich_lease_until > $4)
           ORDER BY e.id LIMIT $2
           FOR UPDATE OF e SKIP LOCKED
         )
         UPDATE events e SET enrich_owner = $3, enrich_lease_until = $4 + $5::bigint
         FROM taken WHERE e.id = taken.id
         RETURNING e.id, e.incident_id, e.event_json, e.enrich_attempts, e.enrich_solo_attempts`,
        [except, limit, this.ownerId, now, this.#eventLeaseMs],
      ),
    );
    return found.sort((a, b) => a.id - b.id).map((row) => ({
      id: row.id,
      incidentId: row.incident_id,
      event: parseJson(hookEventSchema, row.event_json, `event ${row.id}`),
      enrichAttempts: row.enrich_attempts,
      enrichSoloAttempts: row.enrich_solo_attempts,
    }));
  }

  async markEnrichmentStarted(eventId: number, solo: boolean): Promise<void> {
    await this.#query((db) =>
      db.query(`UPDATE events SET enrich_attempts = enrich_attempts + 1, enrich_solo_attempts = enrich_solo_attempts + $1 WHERE id = $2`, [solo ? 1 : 0, eventId]),
    );
  }

  async markEnrichmentShared(eventId: number): Promise<void> {
    await this.#query((db) => db.query(`UPDATE events SET enrich_solo_attempts = GREATEST(0, enrich_solo_attempts - 1) WHERE id = $1`, [eventId]));
  }

  async markEnrichmentAbandoned(eventId: number, solo: boolean): Promise<void> {
    await this.#query((db) =>
      db.query(
        `UPDATE events SET enrich_attempts = GREATEST(0, enrich_attempts - 1), enrich_solo_attempts = GREATEST(0, enrich_solo_attempts - $1),
           enrich_owner = NULL, enrich_lease_until = NULL WHERE id = $2`,
        [solo ? 1 : 0, eventId],
      ),
    );
  }

  async incidentsResolvedBy(eventId: number): Promise<string[]> {
    return (await this.#read(textIdRow, 'SELECT id FROM incidents WHERE resolved_by_event = $1 ORDER BY id', [eventId])).map((r) => r.id);
  }

  async targetsOfIncident(incident: string): Promise<string[]> {
    const found = await this.#read(
      z.object({ target: z.string() }),
      'SELECT target FROM deliveries WHERE incident_id = $1 GROUP BY target ORDER BY MIN(id)',
      [incident],
    );
    return found.map((r) => r.target);
  }

  async routeEvent(eventId: number, report: AlertReport | null, findings: Finding[], deliveries: NewDelivery[], now: number): Promise<void> {
    await this.#transaction(async (db) => {
      for (const d of deliveries) {
        await db.query(
          `INSERT INTO deliveries (incident_id, event_id, target, kind, state, next_attempt_at, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 'pending', $5, $5, $5)
           ON CONFLICT (incident_id, target, kind) DO NOTHING`,
          [d.incidentId, eventId, d.target, d.kind, now],
        );
      }
      await db.query(`UPDATE events SET state = 'routed', routed_at = $1, report_json = $2, findings_json = $3 WHERE id = $4`, [
        now,
        report === null ? null : JSON.stringify(report),
        JSON.stringify(findings),
        eventId,
      ]);
    });
  }

  /**
   * Claim due deliveries under a lease owned by this process. Rows another replica has locked are skipped
   * (SKIP LOCKED), and a row it claimed meanwhile fails the re-check of the WHERE clause on its new version,
   * so no two replicas claim one delivery. A delivery still waits while an earlier one of the same incident
   * and target is unfinished (a thread's root before its replies). An in-flight row comes back only once
   * its lease ran out, as resumed.
   */
  async claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const claimed = await this.#transaction(async (db) =>
      rows(
        db,
        claimedRowSchema,
        `WITH due AS (
           SELECT d.id, d.state AS prior_state FROM deliveries d
           WHERE ((d.state = 'pending' AND d.next_attempt_at <= $1) OR (d.state = 'in_flight' AND d.lease_until <= $1))
             AND NOT EXISTS (
               SELECT 1 FROM deliveries p
               WHERE p.incident_id = d.incident_id AND p.target = d.target AND p.id < d.id
                 AND p.state IN ('pending', 'in_flight'))
           ORDER BY d.next_attempt_at, d.id LIMIT $2
           FOR UPDATE OF d SKIP LOCKED
         ), leased AS (
           UPDATE deliveries d SET state = 'in_flight', lease_until = $1 + $3::bigint, lease_owner = $4, attempts = d.attempts + 1,
             updated_at = $1, first_attempt_at = COALESCE(d.first_attempt_at, $1)
           FROM due WHERE d.id = due.id
           RETURNING d.id, d.incident_id, d.target, d.kind, due.prior_state, d.attempts, d.created_at,
             COALESCE(d.replayed_at, d.created_at) AS age_from, d.first_attempt_at, d.event_id, d.next_attempt_at
         )
         SELECT l.id, l.incident_id, l.target, l.kind, l.prior_state, l.attempts, l.created_at, l.age_from, l.first_attempt_at,
                e.event_json, e.report_json, e.findings_json,
                (SELECT r.ref FROM deliveries r
                 WHERE r.incident_id = l.incident_id AND r.target = l.target AND r.state = 'sent' AND r.ref IS NOT NULL
                 ORDER BY r.id LIMIT 1) AS thread_root_ref
         FROM leased l JOIN events e ON e.id = l.event_id
         ORDER BY l.next_attempt_at, l.id`,
        [now, limit, leaseMs, this.ownerId],
      ),
    );
    return claimed.map((row) => ({
      id: row.id,
      incidentId: row.incident_id,
      target: row.target,
      kind: row.kind,
      attempts: row.attempts,
      createdAt: row.created_at,
      ageFrom: row.age_from,
      resumed: row.prior_state === 'in_flight',
      firstAttemptAt: row.first_attempt_at,
      event: parseJson(hookEventSchema, row.event_json, `event of delivery ${row.id}`),
      report: row.report_json === null ? null : parseJson(alertReportSchema, row.report_json, 'report'),
      findings: row.findings_json === null ? [] : parseJson(findingsSchema, row.findings_json, 'findings'),
      threadRootRef: row.thread_root_ref,
    }));
  }

  /**
   * Releases nothing, on purpose. SQLite's store is one process's, so at start every lease is a dead
   * predecessor's; here the other leases belong to replicas that may be sending right now, and releasing
   * them would make this replica send the same delivery at the same time. A dead replica's leases run out
   * instead (worker.leaseMs, longer than worker.sendTimeoutMs) and are then claimed as resumed; the owner
   * id is random per process, so no lease of this one exists yet.
   */
  releaseLeases(_now: number): Promise<number> {
    return Promise.resolve(0);
  }

  // The outcome is recorded only while this process holds the lease: a replica whose lease ran out (a send
  // that hung past it) must not put back a delivery another replica has taken over.
  async markSent(id: number, ref: string | null, now: number): Promise<void> {
    await this.#query((db) =>
      db.query(
        `UPDATE deliveries SET state = 'sent', ref = $1, sent_at = $2, lease_until = NULL, lease_owner = NULL, last_error = NULL, updated_at = $2
         WHERE id = $3 AND lease_owner = $4`,
        [ref, now, id, this.ownerId],
      ),
    );
  }

  async markRetry(id: number, error: string, nextAttemptAt: number, now: number): Promise<void> {
    await this.#query((db) =>
      db.query(
        `UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_until = NULL, lease_owner = NULL, last_error = $2, updated_at = $3
         WHERE id = $4 AND lease_owner = $5`,
        [nextAttemptAt, error, now, id, this.ownerId],
      ),
    );
  }

  async markGivenUp(id: number, state: 'failed' | 'dead', error: string, now: number): Promise<void> {
    await this.#query((db) =>
      db.query(
        `UPDATE deliveries SET state = $1, lease_until = NULL, lease_owner = NULL, last_error = $2, updated_at = $3
         WHERE id = $4 AND lease_owner = $5`,
        [state, error, now, id, this.ownerId],
      ),
    );
  }

  async queueDepth(): Promise<{ events: number; deliveries: number }> {
    const [row] = await this.#read(
      z.object({ events: int, deliveries: int }),
      `SELECT (SELECT COUNT(*) FROM events WHERE state = 'pending') AS events,
              (SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'in_flight')) AS deliveries`,
    );
    return { events: row?.events ?? 0, deliveries: row?.deliveries ?? 0 };
  }

  async oldestUnfinishedDelivery(): Promise<number | null> {
    const [row] = await this.#read(z.object({ at: int.nullable() }), `SELECT MIN(COALESCE(replayed_at, created_at)) AS at FROM deliveries WHERE state IN ('pending', 'in_flight')`);
    return row?.at ?? null;
  }

  async listDeliveries(state?: DeliveryState): Promise<DeliveryListing[]> {
    const found = state === undefined
      ? await this.#read(deliveryListingRowSchema, listDeliveriesSql(null))
      : await this.#read(deliveryListingRowSchema, listDeliveriesSql('d.state = $1'), [state]);
    return found.map(toDeliveryListing);
  }

  // Any replica's worker claims it on its next poll: a replayed delivery has no lease and no owner.
  async replayDelivery(id: number, by: string, now: number): Promise<ReplayResult> {
    return this.#transaction(async (db): Promise<ReplayResult> => {
      const replayed = await db.query(
        `UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_until = NULL, lease_owner = NULL, updated_at = $1,
           replayed_at = $1, replayed_by = $2
         WHERE id = $3 AND state = ANY($4::text[])`,
        [now, by, id, REPLAYABLE_STATES],
      );
      const [row] = await rows(db, deliveryListingRowSchema, listDeliveriesSql('d.id = $1'), [id]);
      if (row === undefined) return { status: 'unknown' };
      return replayed.rowCount === 1 ? { status: 'replayed', delivery: toDeliveryListing(row) } : { status: 'not_replayable', state: row.state };
    });
  }

  async listIncidents(filter: IncidentFilter): Promise<IncidentPage> {
    const { sql, params } = listIncidentsQuery(POSTGRES_DIALECT, filter);
    return toIncidentPage(await this.#read(incidentSummaryRowSchema, sql, params), filter.limit);
  }

  // One snapshot for the three reads: the deliveries listed are those of the events listed.
  async incidentDetail(id: string): Promise<IncidentDetail | null> {
    return this.#transaction(async (db) => {
      await db.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      const [summary] = await rows(db, incidentSummaryRowSchema, incidentSummarySql(POSTGRES_DIALECT), [id]);
      const events = await rows(db, incidentEventRowSchema, incidentEventsSql(POSTGRES_DIALECT), [id]);
      const deliveries = await rows(db, incidentDeliveryRowSchema, incidentDeliveriesSql(POSTGRES_DIALECT), [id]);
      return toIncidentDetail(summary, events, deliveries);
    });
  }

  async deliveryIncidentId(deliveryId: number): Promise<string | null> {
    const [row] = await this.#read(textIdRow, 'SELECT incident_id AS id FROM deliveries WHERE id = $1', [deliveryId]);
    return row?.id ?? null;
  }

  /** A round trip that needs a connection and a writable primary (a read-only standby fails it). */
  async checkWritable(): Promise<void> {
    const [row] = await this.#read(z.object({ read_only: z.string() }), `SELECT current_setting('transaction_read_only') AS read_only`);
    if (row?.read_only !== 'off') throw new Error('the server is read-only (a standby?): point store.postgres.url at the primary');
  }

  async sweep(now: number, retentionMs: number): Promise<number> {
    return this.#transaction(async (db) => {
      const cutoff = now - retentionMs;
      const old = `SELECT id FROM incidents WHERE updated_at < $1 AND NOT EXISTS (
        SELECT 1 FROM deliveries d WHERE d.incident_id = incidents.id AND d.state IN ('pending', 'in_flight'))`;
      let removed = (await db.query(`DELETE FROM deliveries WHERE incident_id IN (${old})`, [cutoff])).rowCount ?? 0;
      removed += (await db.query(`DELETE FROM events WHERE incident_id IN (${old})`, [cutoff])).rowCount ?? 0;
      removed += (await db.query(`DELETE FROM incidents WHERE id IN (${old})`, [cutoff])).rowCount ?? 0;
      removed += (await db.query('DELETE FROM captures WHERE expires_at < $1', [now])).rowCount ?? 0;
      return removed;
    });
  }

  captureStore(opts: { ttlMs: number; maxTotalBytes: number }): CaptureRepository {
    return new PgCaptureStore(this.#pool, opts);
  }

  emailAttempts(): EmailAttemptLog {
    return new PgEmailAttempts(this.#pool);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

/**
 * Record one event inside the caller's transaction, as event-acceptance.ts does on SQLite. The dedupe key's
 * unique index decides between two replicas accepting the same event at once: the second INSERT waits for
 * the first's commit and then does nothing; its savepoint is rolled back (so the incident is not touched
 * twice) and it answers "duplicate" with the first one's incident.
 */
async function acceptRow(db: pg.PoolClient, row: AcceptRow): Promise<AcceptResult> {
  const seen = await repeatOf(db, row.dedupeKey);
  if (seen !== null) return seen;
  await db.query('SAVEPOINT accept_row');
  let incidentId: string;
  let open: string[] = [];
  if (row.kind === 'sync-succeeded') {
    open = (
      await rows(
        db,
        textIdRow,
        `SELECT id FROM incidents WHERE app_namespace = $1 AND app_name = $2 AND state = 'open' ORDER BY started_at DESC FOR UPDATE`,
        [row.appNamespace, row.appName],
      )
    ).map((r) => r.id);
    const newest = open[0];
    // A successful sync with hook Jobs to check (hook-skipped) is kept even when it resolves nothing.
    const own = row.checksHooks ? row.incident : null;
    if (newest !== undefined) incidentId = newest;
    else if (own !== null) {
      // Its own incident, born resolved: nothing failed, but its hook Jobs are checked (model/skipped-hooks.ts).
      incidentId = own.id;
      await db.query(
        `INSERT INTO incidents (id, app_namespace, app_name, started_at, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'resolved', $5, $5)
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at`,
        [incidentId, row.appNamespace, row.appName, own.startedAt, row.now],
      );
    } else {
      await db.query('RELEASE SAVEPOINT accept_row');
      return { ignored: 'sync succeeded and the app has no open incident to resolve' };
    }
  } else {
    if (row.incident === null) {
      await db.query('RELEASE SAVEPOINT accept_row');
      return { ignored: 'the event has no operationState.startedAt to identify the operation' };
    }
    incidentId = row.incident.id;
    await db.query(
      `INSERT INTO incidents (id, app_namespace, app_name, started_at, state, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'open', $5, $5)
       ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at`,
      [incidentId, row.appNamespace, row.appName, row.incident.startedAt, row.now],
    );
  }
  const [inserted] = await rows(
    db,
    idRow,
    `INSERT INTO events (dedupe_key, incident_id, kind, event_json, state, received_at) VALUES ($1, $2, $3, $4, 'pending', $5)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [row.dedupeKey, incidentId, row.kind, row.eventJson, row.now],
  );
  if (inserted === undefined) {
    await db.query('ROLLBACK TO SAVEPOINT accept_row');
    const repeat = await repeatOf(db, row.dedupeKey);
    if (repeat === null) throw new Error(`event ${row.dedupeKey} conflicted on its dedupe key, yet no stored event has it`);
    return repeat;
  }
  if (open.length > 0) {
    await db.query(
      `UPDATE incidents SET state = 'resolved', resolved_at = $1, resolved_by_event = $2, updated_at = $1 WHERE id = ANY($3::text[])`,
      [row.now, inserted.id, open],
    );
  }
  await db.query('RELEASE SAVEPOINT accept_row');
  return { incidentId, duplicate: false };
}

async function repeatOf(db: Queryable, dedupeKey: string): Promise<AcceptResult | null> {
  const [seen] = await rows(db, incidentOfRow, 'SELECT incident_id FROM events WHERE dedupe_key = $1', [dedupeKey]);
  return seen?.incident_id == null ? null : { incidentId: seen.incident_id, duplicate: true };
}

/**
 * Apply the migrations this database lacks, holding the advisory lock: a replica that starts while another
 * migrates waits for it, then finds nothing left to do. A database migrated by a newer build is refused.
 */
async function migrate(opts: PgConnectionOptions, location: string): Promise<void> {
  const client = createMigrationClient(opts);
  try {
    await client.connect();
  } catch (err) {
    throw storeError(err);
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const [row] = await rows(client, z.object({ v: int.nullable() }), 'SELECT MAX(version) AS v FROM schema_migrations');
    const version = row?.v ?? 0;
    if (version > PG_MIGRATIONS.length) throw errors.databaseNewerSchema(location, version, PG_MIGRATIONS.length);
    for (const [i, sql] of PG_MIGRATIONS.entries()) {
      if (i < version) continue;
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
    await client.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATION_LOCK]);
  } finally {
    // Ending the session also releases the lock if a migration failed.
    await client.end();
  }
}
