import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { describeError } from '../errors.js';
import type { AlertStore } from './alert-store.js';
import { PgStore } from './postgres/pg-store.js';
import { SqliteStore } from './sqlite-store.js';

/** The configured store, migrated: PgStore when store.postgres.url is set, else SqliteStore in dataDir (`serve`, `deliveries`). */
export async function openStore(config: Config, logger: Logger): Promise<AlertStore> {
  const { url, password, poolSize } = config.store.postgres;
  if (url === undefined) return SqliteStore.open(config.dataDir);
  return PgStore.open({
    url,
    password,
    poolSize,
    // A pending event stays with its replica while it may be enriched (bounded by the deadline), and then some.
    eventLeaseMs: config.kubernetes.bounds.deadlineMs + config.worker.leaseMs,
    onIdleError: (err) => logger.warn({ error: describeError(err) }, 'a pooled PostgreSQL connection broke (server restart or network); it is replaced on the next query'),
  });
}
