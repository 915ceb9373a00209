/**
 * The incident page's answer time (issue 18): GET /incidents/<id> for an incident of one hook with 5 pods
 * (attempts) × 64 KiB of log each, over HTTP to the service as main.ts builds it (SQLite file store), against
 * GET /healthz measured in the same rounds, interleaved. Two figures: the first request of each of
 * PAGE_FRESH (default 8) fresh incidents (nothing of their page rendered before) right after start, and as
 * many again after the repeated rounds (warm code), and min / median / max of the round medians over
 * PAGE_ROUNDS (default 5) rounds of PAGE_REQUESTS (default 40) repeated requests of one incident.
 * The incidents are stored before the service listens (as a restart finds them: the page's routes warm its
 * code on the newest), and the very first page is asked after one /healthz, so it times the page, not the
 * client's own first fetch.
 * Goal: < 50 ms for all.
 * Run: npm run bench -- incident-page
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import { createService } from '../src/main.js';
import { loadConfig } from '../src/config/load-config.js';
import { Metrics } from '../src/metrics.js';
import { storeIncident } from '../test/support/incident-fixture.js';
import { sampleEvent } from '../test/support/sample-alerts.js';
import { median, spread } from './latency-bench.js';
import { printRows, type BenchRow } from './support/bench-row.js';

const ROUNDS = Number(process.env.PAGE_ROUNDS ?? 5);
const REQUESTS = Number(process.env.PAGE_REQUESTS ?? 40);
const FRESH = Number(process.env.PAGE_FRESH ?? 8);
const PODS = 5;
const LOG_BYTES = 64 * 1024;
const GOAL_MS = 50;
const USER = { 'x-forwarded-email': 'bench@example.com' };

/** One GET's time until its whole body is read (ms); throws on an answer other than 200. */
async function timedGet(url: string): Promise<{ ms: number; bytes: number }> {
  const start = performance.now();
  const res = await fetch(url, { headers: USER });
  const body = await res.arrayBuffer();
  const ms = performance.now() - start;
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${Buffer.from(body).toString('utf8').slice(0, 200)}`);
  return { ms, bytes: body.byteLength };
}

/** The page against /healthz, interleaved request by request. */
export async function incidentPageBench(): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'incident-page-bench-'));
  const config = loadConfig({
    env: {},
    overrides: { dataDir, kubernetes: { enabled: 'false' }, worker: { enabled: false }, server: { host: '127.0.0.1', port: 0, authProxy: { enabled: true } } },
  });
  const service = await createService(config, { logger: pino({ level: 'silent' }), metrics: new Metrics({ defaultMetrics: false }) });
  try {
    // Each incident its own Application, so none shares an incident (or a rendered page) with another.
    // Stored before the service listens, as a restarted service finds them.
    const incidentIds: string[] = [];
    for (let i = 0; i <= 2 * FRESH; i++) {
      const sample = sampleEvent('presync-job-failed');
      const event = { ...sample, app: { ...sample.app, name: `bench-app-${i}` } };
      incidentIds.push((await storeIncident(service.store, { target: 'file:outbox', attempts: PODS, logBytes: LOG_BYTES, event })).incidentId);
    }
    const base = await service.listen();
    const incidentUrls = incidentIds.map((id) => `${base}/incidents/${id}`);
    // A viewer comes some time after the start, not in its first millisecond: the page's warm-up is over by then.
    await delay(500);
    const [warmUrl, ...freshUrls] = incidentUrls;
    if (warmUrl === undefined) throw new Error('no incident was stored');
    // The client's own first fetch (undici, in this process) costs ~20 ms more: not the page's.
    await timedGet(`${base}/healthz`);
    const first = await timedGet(warmUrl);
    /** The first request of each incident, each after a health probe. */
    const firstRequests = async (urls: readonly string[]): Promise<{ pages: number[]; probes: number[] }> => {
      const firsts = { pages: [] as number[], probes: [] as number[] };
      for (const url of urls) {
        firsts.probes.push((await timedGet(`${base}/healthz`)).ms);
        firsts.pages.push((await timedGet(url)).ms);
      }
      return firsts;
    };
    // Half before the repeated rounds (the page's code barely run yet), half after (a warm service).
    const cold = await firstRequests(freshUrls.slice(0, FRESH));
    const pages: number[] = [];
    const probes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const page: number[] = [];
      const probe: number[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        probe.push((await timedGet(`${base}/healthz`)).ms);
        page.push((await timedGet(warmUrl)).ms);
      }
      pages.push(median(page));
      probes.push(median(probe));
    }
    const warm = await firstRequests(freshUrls.slice(FRESH));
    const verdict = (ms: number): string => `goal < ${GOAL_MS} ms: ${ms < GOAL_MS ? 'met' : 'MISSED'}`;
    return [
      {
        figure: `incident page, first request, ${PODS} pods × ${LOG_BYTES / 1024} KiB logs (${(first.bytes / 1024).toFixed(0)} KiB of HTML)`,
        value: spread(cold.pages, 'ms', 1),
        note: `min/median/max over ${FRESH} fresh incidents right after start; ${(median(cold.pages) / median(cold.probes)).toFixed(0)}× a health probe (${median(cold.probes).toFixed(2)} ms); very first request ${first.ms.toFixed(1)} ms; ${verdict(median(cold.pages))}`,
      },
      {
        figure: 'incident page, first request, warm service',
        value: spread(warm.pages, 'ms', 1),
        note: `min/median/max over ${FRESH} more fresh incidents after the repeated rounds; ${(median(warm.pages) / median(warm.probes)).toFixed(0)}× a health probe (${median(warm.probes).toFixed(2)} ms); ${verdict(median(warm.pages))}`,
      },
      {
        figure: 'incident page, repeated requests of one incident',
        value: spread(pages, 'ms', 1),
        note: `min/median/max of ${ROUNDS} round medians (${REQUESTS} requests each); ${(median(pages) / median(probes)).toFixed(0)}× a health probe; ${verdict(median(pages))}`,
      },
      { figure: 'baseline: GET /healthz, same rounds', value: spread(probes, 'ms', 2), note: 'interleaved with the repeated requests' },
    ];
  } finally {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) printRows(await incidentPageBench());
