import type { Logger } from 'pino';

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
