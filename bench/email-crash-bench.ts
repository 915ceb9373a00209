/**
 * Email after a crash (issue 15 item 10; docs/design.md, "Crash windows"): 300 incidents are delivered by
 * email through the built service (`npm run build` first) to the SMTP test server, while the service is
 * SIGKILLed at seeded random instants and restarted, until every delivery is sent. Counted: incidents
 * whose mail arrived more than once (same Message-ID). Measured in the same run with email.recordAttempts
 * on (the DATA start and the server's answer recorded in the store) and off (the old behaviour, the
 * baseline). `BENCH_SEED=<n>` replays the kill instants; `BENCH_KILLS=<n>` (default 12) kills per mode.
 *
 *   npm run build && node --import tsx bench/email-crash-bench.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SmtpTestServer } from '../test/support/smtp-test-server.js';
import { startServiceProcess, type ServiceProcess } from '../test/support/service-process.js';
import { failedBodyForOperation } from '../test/support/contract-bodies.js';
import { postEvent, waitForDrain } from '../test/support/service-http.js';
import { emailEnv } from '../test/support/worker-harness.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { seededRandom } from '../test/support/seeded-random.js';

const INCIDENTS = 300;
const TOKEN = 'email-crash-bench-token-0123456789';
const ACCEPTED_BEFORE = 'the SMTP server accepted this email before the process stopped (answer recorded); not sending it again';
const MAYBE_DUPLICATE = /^resending an email that was in flight when the process stopped: it was handed to the SMTP server/;
const NO_DATA_BEFORE = /^resending an email that was in flight when the process stopped: it had not been handed/;
const OLD_RESEND = 'resending an email that was in flight when the process stopped';

interface ModeResult {
  kills: number;
  /** Kills that found at least one delivery in flight (the process logged leases released on restart). */
  resumed: number;
  duplicated: number;
  mails: number;
  acceptedBefore: number;
  maybeDuplicate: number;
  noDataBefore: number;
  blindResends: number;
  seconds: number;
}

async function runMode(recordAttempts: boolean, seed: number, kills: number): Promise<ModeResult> {
  const random = seededRandom(seed);
  const teardowns: (() => unknown)[] = [];
  const t = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  const server = await SmtpTestServer.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'email-crash-bench-'));
  const began = Date.now();
  try {
    const config = join(dataDir, 'config.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        kubernetes: { enabled: 'false' },
        email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000, recordAttempts },
        worker: { pollIntervalMs: 20, sendTimeoutMs: 150_000, retry: { initialDelayMs: 100, maxDelayMs: 500 } },
      }),
    );
    const env = { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...emailEnv(server) };
    const processes: ServiceProcess[] = [];
    const start = async (): Promise<ServiceProcess> => {
      const svc = await startServiceProcess(t, ['--config', config], env, { built: true });
      processes.push(svc);
      return svc;
    };
    // The 300 events are accepted first (the worker starts delivering meanwhile); the kills follow.
    let svc = await start();
    for (let i = 0; i < INCIDENTS; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, INCIDENTS - i) }, async (_, k) => {
          const res = await postEvent(svc.url, TOKEN, failedBodyForOperation(i + k));
          if (res.status !== 202) throw new Error(`event ${i + k} not accepted: ${res.status}`);
        }),
      );
    }
    let done = 0;
    for (; done < kills; done++) {
      // Kill at a random instant once delivery is under way; stop killing when nothing is left to send.
      const sentBefore = server.mails.length;
      const waitMs = 20 + Math.floor(random() * 400);
      const deadline = Date.now() + 60_000;
      while (server.mails.length === sentBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, waitMs));
      if (new Set(server.mails.map((m) => m.parsed.messageId)).size >= INCIDENTS) break;
      svc.child.kill('SIGKILL');
      await svc.exited;
      svc = await start();
    }
    await waitForDrain(svc.url, 'the last process delivers the rest');
    svc.child.kill('SIGTERM');
    await svc.exited;
    const copies = new Map<string, number>();
    for (const m of server.mails) copies.set(m.parsed.messageId ?? '', (copies.get(m.parsed.messageId ?? '') ?? 0) + 1);
    if (copies.size !== INCIDENTS) throw new Error(`${copies.size} distinct mails for ${INCIDENTS} incidents`);
    const messages = processes.flatMap((p) => p.logs.map((l) => (typeof l.msg === 'string' ? l.msg : '')));
    return {
      kills: done,
      resumed: processes.filter((p) => p.logs.some((l) => typeof l.released === 'number')).length,
      duplicated: [...copies.values()].filter((n) => n > 1).length,
      mails: server.mails.length,
      acceptedBefore: messages.filter((m) => m === ACCEPTED_BEFORE).length,
      maybeDuplicate: messages.filter((m) => MAYBE_DUPLICATE.test(m)).length,
      noDataBefore: messages.filter((m) => NO_DATA_BEFORE.test(m)).length,
      blindResends: messages.filter((m) => m === OLD_RESEND).length,
      seconds: (Date.now() - began) / 1000,
    };
  } finally {
    for (const fn of teardowns.reverse()) await fn();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Both modes, the same seeded kill instants; one row per figure. */
export async function emailCrashBench(): Promise<BenchRow[]> {
  const seed = Number(process.env.BENCH_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const kills = Number(process.env.BENCH_KILLS ?? 12);
  const record = await runMode(true, seed, kills);
  const baseline = await runMode(false, seed, kills);
  const describe = (r: ModeResult): string =>
    `${r.kills} kills (${r.resumed} restarts resumed deliveries), ${r.mails} mails, ${r.seconds.toFixed(0)} s`;
  return [
    {
      figure: `email: incidents mailed twice after SIGKILLs (of ${INCIDENTS}), attempts recorded`,
      value: String(record.duplicated),
      note: `${describe(record)}; restarts found ${record.acceptedBefore} answered (not resent), ${record.maybeDuplicate} DATA without answer (resent), ${record.noDataBefore} before DATA (resent, no duplicate); seed ${seed}`,
    },
    {
      figure: `email: incidents mailed twice after SIGKILLs (of ${INCIDENTS}), baseline recordAttempts: false`,
      value: String(baseline.duplicated),
      note: `${describe(baseline)}; ${baseline.blindResends} blind resends; same seed`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await emailCrashBench());
}
