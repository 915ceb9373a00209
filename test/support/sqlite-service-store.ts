import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { AlertStore } from '../../src/store/alert-store.js';

/** The service's store as SqliteStore, for tests that read it synchronously or use its PRAGMAs; throws on PostgreSQL. */
export function sqliteStoreOf(service: { store: AlertStore }): SqliteStore {
  if (!(service.store instanceof SqliteStore)) throw new Error(`this test needs the SQLite store; the service runs on ${service.store.kind}`);
  return service.store;
}
