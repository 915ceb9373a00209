import t from 'tap';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { storeSuite } from '../../support/store-suite.js';

// The shared store contract on the embedded adapter: a fresh file store per test (WAL, as `serve` runs it).
storeSuite(t, async (t) => {
  const store = SqliteStore.open(t.testdir({}));
  t.teardown(() => store.close());
  return store;
});
