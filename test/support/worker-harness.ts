import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import type { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Worker } from '../../src/worker/worker.js';
import { Metrics } from '../../src/metrics.js';
import { createService } from '../../src/main.js';
import { loadConfig, type JsonObject } from '../../src/config/load-config.js';
import { capturingLogger } from './log-capture.js';
import { eventDedupeKey, type HookEvent } from '../../src/model/hook-event.js';
import { toHookEvent } from '../../src/intake/hook-event.js';
import { contractV1Schema } from '../../src/model/contract-v1.js';
import { failedBodyForOperation } from './contract-bodies.js';
import type { Config } from '../../src/config/schema.js';
import type { SlackApiServer } from './slack-api-server.js';
import type { SmtpTestServer } from './smtp-test-server.js';
import { sqliteStoreOf } from './sqlite-service-store.js';

/** The part of tap's Test the support helpers use. */
export interface TestLike {
  teardown(fn: () => unknown): void;
}

/** The instant every harness clock starts at (the sample events' receivedAt). */
export const T0 = Date.parse('2026-11-20T14:07:15.000Z');

/** Send timeouts that expire only when a test says so: the worker's `sendTimeout`, without a timer. */
export class ManualTimeouts {
  #pending = new Set<() => void>();

  /** For WorkerDeps.sendTimeout. */
  readonly start = (_ms: number, expire: () => void): (() => void) => {
    this.#pending.add(expire);
    return () => {
      this.#pending.delete(expire);
    };
  };

  /** Timeouts started and neither expired nor cancelled. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Expire every pending timeout, as if its time were up. */
  expireAll(): void {
    const due = [...this.#pending];
    this.#pending.clear();
    for (const expire of due) expire();
  }
}

/**
 * The service as `serve` wires it (createService), not listening and with its worker not started, with an
 * injected clock and send timeouts: retries and backoff are the worker's persisted schedule, stepped by
 * moving `clock.now` instead of waiting, and a send times out only when the test expires it
 * (`sendTimeouts`), so that no outcome depends on how fast the machine is.
 */
export interface WorkerHarness {
  /** The HTTP service, not listening: `inject()` reaches its routes. */
  app: FastifyInstance;
  store: SqliteStore;
  worker: Worker;
  config: Config;
  clock: { now: number };
  sendTimeouts: ManualTimeouts;
  metrics: Metrics;
  /** The worker's log lines of level warn and above, parsed: what an operator would read. */
  logs: Record<string, unknown>[];
  /** Store an event as intake would; returns its incident id. */
  accept(event: HookEvent): string;
}

/** The HookEvent of `failedBodyForOperation(i)`, as intake normalizes it at T0: one distinct incident per `i`. */
export function failedEvent(i: number): HookEvent {
  const result = toHookEvent(contractV1Schema.parse(failedBodyForOperation(i)), ['PreSync'], new Date(T0));
  if (!('event' in result)) throw new Error(`the test event was ignored: ${result.ignored}`);
  return result.event;
}

/** Settings that point the Slack sink at a test server, routing the default route to `channel`. */
export function slackEnv(server: SlackApiServer, channel = '#deploys'): NodeJS.ProcessEnv {
  return { SLACK_BOT_TOKEN: server.token, SLACK_API_URL: server.apiUrl, SLACK_CHANNEL: channel };
}

/** Settings that point the email sink at a test server, routing the default route to `to`. */
export function emailEnv(server: SmtpTestServer, to = 'oncall@example.com'): NodeJS.ProcessEnv {
  return { SMTP_URL: server.url, EMAIL_FROM: 'Hook Alerts <alerts@example.com>', EMAIL_TO: to };
}

/**
 * Build the service on a store in `dataDir` (':memory:' by default) with the sinks `env` turns on. Defaults:
 * no Kubernetes, a Slack request timeout that only bounds a hang, backoff 2 s ×2 up to 30 s, and a
 * jitter-free random so that each retry is due at a known instant. `env` is also where enrichment looks for
 * a kubeconfig. `timerSendTimeouts`: the worker's own timer instead of `sendTimeouts` (only for a send that
 * can end no other way).
 */
export async function workerHarness(
  t: TestLike,
  opts: { env: NodeJS.ProcessEnv; dataDir?: string; overrides?: JsonObject; timerSendTimeouts?: boolean },
): Promise<WorkerHarness> {
  const config = loadConfig({
    env: opts.env,
    overrides: {
      dataDir: opts.dataDir ?? ':memory:',
      kubernetes: { enabled: 'false' },
      slack: { requestTimeoutMs: 120_000 },
      worker: { retry: { initialDelayMs: 2_000, maxDelayMs: 30_000, factor: 2, maxAgeMs: 3_600_000 } },
      ...opts.overrides,
    },
  });
  const { logger, logs } = capturingLogger('warn');
  const clock = { now: T0 };
  const sendTimeouts = new ManualTimeouts();
  const service = await createService(config, {
    logger,
    clock: () => clock.now,
    random: () => 0.5,
    env: opts.env,
    metrics: new Metrics({ defaultMetrics: false }),
    ...(opts.timerSendTimeouts === true ? {} : { sendTimeout: sendTimeouts.start }),
  });
  t.teardown(() => service.close());
  const { worker, metrics } = service;
  const store = sqliteStoreOf(service);
  return {
    app: service.app,
    store,
    worker,
    config,
    clock,
    sendTimeouts,
    metrics,
    logs,
    accept: (event) => {
      const result = store.acceptEvent(event, eventDedupeKey(event), clock.now);
      if (!('incidentId' in result)) throw new Error(`the test event was ignored: ${result.ignored}`);
      return result.incidentId;
    },
  };
}

/**
 * Step the first delivery through retries: before each, it must be pending with `error`; it must not be
 * attempted a millisecond before its delay is up, and must be when it is. The first attempt has run already.
 */
export async function stepThroughRetries(t: Test, h: WorkerHarness, delays: readonly number[], error: RegExp): Promise<void> {
  for (const delay of delays) {
    const failed = h.store.listDeliveries()[0];
    const attempts = failed?.attempts ?? 0;
    t.match(failed, { state: 'pending', lastError: error }, `attempt ${attempts} failed and is scheduled again`);
    h.clock.now += delay - 1;
    await h.worker.runOnce();
    t.equal(h.store.listDeliveries()[0]?.attempts, attempts, `attempt ${attempts + 1} is not made before its ${delay} ms are up`);
    h.clock.now += 1;
    await h.worker.runOnce();
  }
}
