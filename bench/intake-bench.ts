/**
 * Intake throughput and latency: the real POST /v1/argocd/events (auth, zod, normalize, SQLite commit with
 * synchronous=FULL) against a bare fastify route that echoes the body, measured in the same run.
 * Goal (issue 3): ratio ≥ 0.5 and p99 < 10 ms at 500 req/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BENCH_TOKEN, spawnEchoServer, spawnService } from './support/spawn-server.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { freshDatabase } from './support/bench-database.js';
import { startPostgresServer, type PostgresServer } from '../test/support/postgres.js';
import { failedBodyForOperation } from '../test/support/contract-bodies.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const WARMUP_S = 2;
const ROUNDS = Number(process.env.INTAKE_ROUNDS ?? 3);

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

// Varied events: new operations (new incidents) with every 5th a repeat (a duplicate), as Argo CD retries do.
function bodies(n: number): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify(failedBodyForOperation(i % 5 === 4 ? i - 1 : i, `app-${i % 37}`)));
}

const POOL = bodies(20_000);
let sent = 0;

/**
 * The next body. Past the pool's end each round renames the apps, so that the events stay new: a run that
 * wrapped around measured mostly duplicates, which the store answers without writing.
 */
function nextBody(): string {
  const i = sent++;
  const body = POOL[i % POOL.length] ?? '{}';
  const round = Math.floor(i / POOL.length);
  return round === 0 ? body : body.replace('"name":"app-', `"name":"r${round}-app-`);
}

async function run(url: string, opts: { overallRate?: number; connections: number; durationS?: number }): Promise<Figures> {
  const result = await autocannon({
    url: `${url}/v1/argocd/events`,
    method: 'POST',
    connections: opts.connections,
    duration: opts.durationS ?? DURATION_S,
    ...(opts.overallRate === undefined ? {} : { overallRate: opts.overallRate }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: nextBody() }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** What answers the load: the echo route, the service on SQLite, or the service on PostgreSQL at this URL. */
type Target = 'echo' | 'service' | { postgres: string };

async function measure(mode: Target, opts: { overallRate?: number; connections: number }): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hook-alerts-bench-'));
  // Intake alone is measured: the worker would compete for the same two cores with its deliveries.
  const config = 'worker: { enabled: false }\nlogging: { level: warn }\n';
  const server =
    mode === 'echo'
      ? await spawnEchoServer()
      : await spawnService(dataDir, config, mode === 'service' ? {} : { HOOK_ALERTS_DATABASE_URL: mode.postgres });
  try {
    // Both sides are warmed with the load they are measured under: a lighter warm-up left the service's
    // hot path (zod, SQLite, the writer thread) partly unoptimized and made the ratio swing 0.25–0.5.
    await run(server.url, { ...opts, durationS: WARMUP_S }).catch(() => undefined);
    return await run(server.url, opts);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Run the intake benchmark and return printable rows. */
export async function intakeBench(): Promise<BenchRow[]> {
  // Rounds alternate echo and service, so that a noisy neighbour or CPU throttling hits both; the ratio is
  // of the medians, and the range shows how much the rounds differed.
  const teardowns: (() => unknown)[] = [];
  try {
    return await intakeRounds(await startPostgresServer({ teardown: (fn) => void teardowns.push(fn) }, { fsync: true }));
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

/** Interleaved rounds: echo, the service on SQLite, and on PostgreSQL when a server could be started. */
async function intakeRounds(server: PostgresServer | null): Promise<BenchRow[]> {
  const onPostgres = async (): Promise<Target> => ({ postgres: server === null ? '' : await freshDatabase(server, 'intake_bench') });
  const echo: Figures[] = [];
  const service: Figures[] = [];
  const full: Figures[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    echo.push(await measure('echo', { connections: 16 }));
    service.push(await measure('service', { connections: 16 }));
    if (server !== null) full.push(await measure(await onPostgres(), { connections: 16 }));
  }
  const echo500 = await measure('echo', { connections: 8, overallRate: 500 });
  const service500 = await measure('service', { connections: 8, overallRate: 500 });
  const postgres = server === null ? null : { full, at500: await measure(await onPostgres(), { connections: 8, overallRate: 500 }) };
  const fmt = (f: Figures): string =>
    `${f.rps.toFixed(0)} req/s, p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms${f.errors + f.non2xx > 0 ? `, ${f.errors + f.non2xx} errors` : ''}`;
  function medianOf(fs: Figures[]): Figures {
    const m = median(fs.map((f) => f.rps));
    return fs.find((f) => f.rps === m) ?? fs[0] ?? { rps: Number.NaN, p50: Number.NaN, p99: Number.NaN, errors: 0, non2xx: 0 };
  }
  const ratios = service.map((f, i) => f.rps / (echo[i]?.rps ?? Number.NaN));
  return [
    { figure: `intake, 16 connections: bare fastify echo (median of ${ROUNDS})`, value: fmt(medianOf(echo)), note: 'baseline' },
    {
      figure: `intake, 16 connections: POST /v1/argocd/events (median of ${ROUNDS})`,
      value: fmt(medianOf(service)),
      note: `ratio ${(medianOf(service).rps / medianOf(echo).rps).toFixed(2)}, rounds ${ratios.map((r) => r.toFixed(2)).join(' / ')} (goal >= 0.5)`,
    },
    { figure: 'intake at 500 req/s: bare fastify echo', value: fmt(echo500), note: 'baseline' },
    { figure: 'intake at 500 req/s: POST /v1/argocd/events', value: fmt(service500), note: 'goal p99 < 10 ms' },
    ...(postgres === null
      ? [{ figure: 'intake on PostgreSQL', value: 'not run', note: "no PostgreSQL server package (Debian's postgresql)" }]
      : [
          {
            figure: `intake, 16 connections, store on PostgreSQL (median of ${ROUNDS})`,
            value: fmt(medianOf(postgres.full)),
            note: `×${(medianOf(postgres.full).rps / medianOf(service).rps).toFixed(2)} the SQLite figure above (rounds interleaved); a local server, fsync on`,
          },
          { figure: 'intake at 500 req/s, store on PostgreSQL', value: fmt(postgres.at500), note: `SQLite: p99 ${service500.p99.toFixed(1)} ms` },
        ]),
  ];
}


if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await intakeBench());
}
