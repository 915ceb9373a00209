// Store benchmark: events accepted one by one, then deliveries claimed and marked sent in passes of 8 (as
// the worker does), on SQLite (a file, WAL, synchronous=FULL) and on PostgreSQL in the same run; PostgreSQL
// also with two stores ("replicas") claiming at once. PostgreSQL needs an admin URL in
// HOOK_ALERTS_TEST_DATABASE_URL (as the tests); without it only SQLite is measured.
// Run: node --import tsx bench/store-bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { PgStore } from '../src/store/postgres/pg-store.js';
import type { AlertStore } from '../src/store/alert-store.js';
import { contractV1Schema } from '../src/model/contract-v1.js';
import { toHookEvent } from '../src/intake/hook-event.js';
import { eventDedupeKey, type HookEvent } from '../src/model/hook-event.js';
import { failedBodyForOperation } from '../test/support/contract-bodies.js';
import { printRows, type BenchRow } from './support/bench-row.js';

const EVENTS = 1_000;
const CLAIM_BATCH = 8;

function eventOf(op: number): HookEvent {
  const result = toHookEvent(contractV1Schema.parse(failedBodyForOperation(op)), ['PreSync'], new Date('2026-11-20T14:08:00Z'));
  if (!('event' in result)) throw new Error(result.ignored);
  return result.event;
}

/** Events per second accepted one at a time (each its own commit). */
async function acceptRate(store: AlertStore, events: HookEvent[]): Promise<number> {
  const start = performance.now();
  for (const event of events) await store.acceptEvent(event, eventDedupeKey(event), 1_000);
  return events.length / ((performance.now() - start) / 1000);
}

async function routeAll(store: AlertStore): Promise<void> {
  for (;;) {
    const pending = await store.pendingEvents(256);
    if (pending.length === 0) return;
    for (const p of pending) await store.routeEvent(p.id, null, [], [{ incidentId: p.incidentId, target: 'file:outbox', kind: 'failed' }], 1_000);
  }
}

/** Deliveries per second claimed and marked sent by `stores` working at once; checks none is sent twice. */
async function claimRate(stores: AlertStore[]): Promise<number> {
  const seen = new Set<number>();
  const start = performance.now();
  await Promise.all(
    stores.map(async (store) => {
      for (;;) {
        const batch = await store.claimDueDeliveries(2_000, CLAIM_BATCH, 60_000);
        if (batch.length === 0) return;
        for (const d of batch) {
          if (seen.has(d.id)) throw new Error(`delivery ${d.id} claimed twice`);
          seen.add(d.id);
          await store.markSent(d.id, 'ref', 2_000);
        }
      }
    }),
  );
  if (seen.size !== EVENTS) throw new Error(`${seen.size} of ${EVENTS} deliveries claimed`);
  return EVENTS / ((performance.now() - start) / 1000);
}

async function freshDatabase(admin: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The benchmark's rows. */
export async function storeBench(): Promise<BenchRow[]> {
  const events = Array.from({ length: EVENTS }, (_, op) => eventOf(op));
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-store-bench-'));
  const rows: BenchRow[] = [];
  try {
    const sqlite = SqliteStore.open(dir);
    const sqliteAccept = await acceptRate(sqlite, events);
    await routeAll(sqlite);
    const sqliteClaim = await claimRate([sqlite]);
    sqlite.close();
    rows.push(
      { figure: 'store: accept, SQLite (events/s, one commit each)', value: sqliteAccept.toFixed(0), note: 'baseline' },
      { figure: 'store: claim + mark sent, SQLite (deliveries/s)', value: sqliteClaim.toFixed(0), note: 'baseline' },
    );
    const admin = process.env.HOOK_ALERTS_TEST_DATABASE_URL;
    if (admin === undefined || admin === '') {
      rows.push({ figure: 'store: PostgreSQL', value: 'not measured', note: 'set HOOK_ALERTS_TEST_DATABASE_URL to an admin URL' });
      return rows;
    }
    for (const replicas of [1, 2]) {
      const url = await freshDatabase(admin, `hook_alerts_bench_${replicas}`);
      const stores = await Promise.all(Array.from({ length: replicas }, (_, i) => PgStore.open({ url, ownerId: `bench-${i}` })));
      const [first] = stores;
      if (first === undefined) throw new Error('no store');
      const accept = await acceptRate(first, events);
      await routeAll(first);
      const claim = await claimRate(stores);
      await Promise.all(stores.map((s) => s.close()));
      if (replicas === 1) {
        rows.push({ figure: 'store: accept, PostgreSQL (events/s, one commit each)', value: accept.toFixed(0), note: `${(accept / sqliteAccept).toFixed(2)}× SQLite` });
      }
      rows.push({
        figure: `store: claim + mark sent, PostgreSQL, ${replicas} replica(s) (deliveries/s)`,
        value: claim.toFixed(0),
        note: `${(claim / sqliteClaim).toFixed(2)}× SQLite; none claimed twice`,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) printRows(await storeBench());
