import type { Logger } from 'pino';
import type { HookEvent } from '../model/hook-event.js';
import type { KubeClient } from '../kube/kube-client.js';

/** What a watcher that raises events about hook Jobs is given by the composition root. */
export interface HookJobWatcherDeps {
  /** Hook types that alert (config hooks.types). */
  hookTypes: readonly string[];
  /** Where the Applications live when the Job's tracking id does not say. */
  appNamespace: string;
  destinationOf: (client: KubeClient) => HookEvent['destination'];
  logger: Logger;
  clock?: () => number;
}

/**
 * Job uids a watcher has decided about (alerted, not a hook, finished), not looked up again while remembered;
 * the oldest are forgotten beyond `max`, so a long-running watcher stays small.
 */
export class DecidedJobs {
  readonly #uids = new Set<string>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** Remember a Job as decided. */
  add(uid: string): void {
    this.#uids.add(uid);
    if (this.#uids.size <= this.#max) return;
    const oldest = this.#uids.values().next().value;
    if (oldest !== undefined) this.#uids.delete(oldest);
  }

  /** Whether the Job was decided (and is still remembered). */
  has(uid: string): boolean {
    return this.#uids.has(uid);
  }
}

/**
 * A check that runs every `intervalMs` in the background, one pass at a time: a pass still running when
 * the next is due is not doubled. A failed pass is logged and the next one runs as usual.
 */
export class PeriodicCheck {
  readonly #intervalMs: number;
  readonly #pass: () => Promise<unknown>;
  readonly #logger: Logger;
  readonly #what: string;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(opts: { intervalMs: number; pass: () => Promise<unknown>; logger: Logger; what: string }) {
    this.#intervalMs = opts.intervalMs;
    this.#pass = opts.pass;
    this.#logger = opts.logger;
    this.#what = opts.what;
  }

  /** Run a pass every interval until stopped. */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.#pass().then(
        () => {
          this.#running = null;
        },
        (err: unknown) => {
          this.#running = null;
          this.#logger.error({ err }, `${this.#what} failed; it runs again at the next interval`);
        },
      );
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stop and wait for a pass in progress. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
