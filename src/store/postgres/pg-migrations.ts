import { MIGRATIONS } from '../migrations.js';

/**
 * SQLite's DDL in PostgreSQL's types: a row id (`id INTEGER PRIMARY KEY`, SQLite's rowid) becomes an
 * identity column, every other INTEGER a BIGINT (times are ms since the epoch, past INTEGER's range). The
 * rest of the schema language the migrations use (TEXT, CHECK, UNIQUE, REFERENCES ... ON DELETE CASCADE,
 * CREATE/DROP INDEX, ALTER TABLE ... ADD COLUMN ... DEFAULT) means the same on both.
 */
function toPostgres(sql: string): string {
  return sql
    .replace(/\bid INTEGER PRIMARY KEY\b/g, 'id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/g, 'BIGINT');
}

// The migrations of PostgreSQL alone, by version: each takes the place of an empty one in SQLite's list
// (src/store/migrations.ts), so that a version number is the same schema step on both stores.
const POSTGRES_ONLY: ReadonlyMap<number, string> = new Map([
  // The replica holding a delivery's lease: an outcome is recorded only by the lease's holder, so that a
  // replica whose lease ran out (a send that hung past it) cannot put back what another has taken over.
  // And the replica enriching and routing a pending event, until when: another one leaves the event (and
  // the app's later events) alone meanwhile, so that a live replica's enrichment never reads as one that a
  // crash cut short, and an app's events are still routed in order.
  [
    5,
    `
  ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
  ALTER TABLE events ADD COLUMN enrich_owner TEXT;
  ALTER TABLE events ADD COLUMN enrich_lease_until BIGINT;
  `,
  ],
]);

/**
 * Versioned schema migrations of the PostgreSQL store, applied in order, each in its own transaction, under
 * one advisory lock (PG_MIGRATION_LOCK) so that replicas starting together migrate once; the table
 * `schema_migrations` holds the versions applied. They are SQLite's (src/store/migrations.ts), translated,
 * so that both stores have the same schema semantics and version numbers, except those of PostgreSQL alone
 * (POSTGRES_ONLY). Never edit a released migration: append a new one to MIGRATIONS (an empty one there
 * and its PostgreSQL text in POSTGRES_ONLY when it concerns PostgreSQL alone).
 */
export const PG_MIGRATIONS: readonly string[] = MIGRATIONS.map((sql, i) => POSTGRES_ONLY.get(i + 1) ?? toPostgres(sql));

/**
 * The advisory lock key of migrations (any constant: it only has to be the same in every replica and
 * unlike other applications' keys in the same database).
 */
export const PG_MIGRATION_LOCK = 0x48_4b_41_4c; // "HKAL"
