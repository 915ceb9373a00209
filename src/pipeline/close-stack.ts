import type { Logger } from 'pino';

/**
 * What has been opened, closed in reverse order: every closer runs, even after one fails, and the
 * failures are thrown together at the end.
 */
export class CloseStack {
  readonly #closers: (() => unknown)[] = [];

  push(closer: () => unknown): void {
    this.#closers.push(closer);
  }

  async close(): Promise<void> {
    const failures: unknown[] = [];
    for (const closer of this.#closers.splice(0).reverse()) {
      try {
        await closer();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'several parts of the service failed to close');
  }
}

/** Close what a failed start opened, and throw the failure (a failing close is logged, not lost). */
export async function unwind(close: () => Promise<void>, err: unknown, logger: Pick<Logger, 'error'>): Promise<never> {
  try {
    await close();
  } catch (closeErr) {
    logger.error({ err: closeErr }, 'closing what was opened before the start failed also failed');
  }
  throw err;
}
