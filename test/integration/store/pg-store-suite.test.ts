import t from 'tap';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { storeSuite } from '../../support/store-suite.js';
import { testDatabase } from '../../support/postgres.js';

// The shared store contract on PostgreSQL: a fresh database on a real server per test.
storeSuite(t, async (t) => {
  const url = await testDatabase(t);
  if (url === null) return null;
  const store = await PgStore.open({ url });
  t.teardown(() => store.close());
  return store;
});
