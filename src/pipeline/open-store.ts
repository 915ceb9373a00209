import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { AlertStore } from '../store/alert-store.js';
import { describeError } from '../errors.js';

/** The configured store, migrated: PgStore when store.postgres.url is set, else SqliteStore in dataDir (`serve`, `deliveries`, the pipeline thread). */
export async function openStore(config: Config, logger: Logger): Promise<AlertStore> {
  const { url, password, poolSize } = config.store.postgres;
  if (url === undefined) return SqliteStore.open(config.dataDir);
  // Loaded only for PostgreSQL: with SQLite, neither thread carries pg and its protocol code.
  const { PgStore } = await import('../store/postgres/pg-store.js');
  return PgStore.open({
    url,
    password,
    poolSize,
    // A pending event stays with its replica while it may be enriched (bounded by the deadline), and then some.
    eventLeaseMs: config.kubernetes.bounds.deadlineMs + config.worker.leaseMs,
    onIdleError: (err) => logger.warn({ error: describeError(err) }, 'a pooled PostgreSQL connection broke (server restart or network); it is replaced on the next query'),
  });
}

/** True when a second thread can open the same store: a SQLite file or PostgreSQL, not an in-memory database. */
export function storeIsShareable(config: Config): boolean {
  return config.store.postgres.url !== undefined || config.dataDir !== ':memory:';
}
