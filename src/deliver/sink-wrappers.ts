import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { encodingFailure } from './encoding-failure.js';
import { describeError } from '../errors.js';
import type { DeliveryContext, Sink, SinkName, SinkOutcome } from '../model/sink.js';

/**
 * Wrappers that give every sink the same guarantees without each adapter coding them, in the way undici's
 * RetryAgent wraps a dispatcher: each returns a `Sink` with the same interface, so the worker neither knows
 * nor cares how many wrap the adapter.
 */

/** Starts the timeout of one send: `expire` runs after `ms` unless the returned cancel runs first. */
export type StartTimeout = (ms: number, expire: () => void) => () => void;

/** The default: a timer. Tests inject one that expires when they say so. */
const timerTimeout: StartTimeout = (ms, expire) => {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
};

/**
 * A send that does not answer within `timeoutMs` is a retryable outcome, and a sink that throws (a bug: sinks
 * return outcomes) is retried rather than losing the alert. The abandoned send may still complete: each sink
 * finds its earlier send on a resumed delivery, which is why a timeout is safe to retry.
 */
export function withSendTimeout(sink: Sink, opts: { timeoutMs: number; startTimeout?: StartTimeout; logger: Logger }): Sink {
  const startTimeout = opts.startTimeout ?? timerTimeout;
  return {
    name: sink.name,
    close: () => sink.close(),
    async send(ctx: DeliveryContext): Promise<SinkOutcome> {
      let cancel = (): void => undefined;
      const timeout = new Promise<SinkOutcome>((resolve) => {
        cancel = startTimeout(opts.timeoutMs, () => resolve({ status: 'retryable', error: `no answer within ${opts.timeoutMs} ms` }));
      });
      try {
        return await Promise.race([sink.send(ctx), timeout]);
      } catch (err) {
        opts.logger.error({ err, delivery: ctx.deliveryId, sink: sink.name }, 'sink threw instead of returning an outcome');
        return encodingFailure(err, `${sink.name} sink`) ?? { status: 'retryable', error: `sink error: ${describeError(err)}` };
      } finally {
        cancel();
      }
    },
  };
}

/** Records how long each send took and how it ended (hook_alerts_sink_send_seconds), per sink. */
function withSendMetrics(sink: Sink, metrics: Metrics, clock: () => number = performance.now.bind(performance)): Sink {
  return {
    name: sink.name,
    close: () => sink.close(),
    async send(ctx: DeliveryContext): Promise<SinkOutcome> {
      const started = clock();
      const outcome = await sink.send(ctx);
      metrics.sinkSendDuration.observe({ sink: sink.name, outcome: outcome.status }, (clock() - started) / 1000);
      return outcome;
    },
  };
}

/** Every sink with the timeout outermost, so that the metrics see the adapter's own time and outcome. */
export function wrapSinks(
  sinks: ReadonlyMap<SinkName, Sink>,
  deps: { timeoutMs: number; startTimeout?: StartTimeout; metrics: Metrics; logger: Logger },
): Map<SinkName, Sink> {
  const wrapped = new Map<SinkName, Sink>();
  for (const [name, sink] of sinks) {
    wrapped.set(name, withSendTimeout(withSendMetrics(sink, deps.metrics), { timeoutMs: deps.timeoutMs, startTimeout: deps.startTimeout, logger: deps.logger }));
  }
  return wrapped;
}
