/**
 * The pipeline thread: enrichment, the cluster watchers, diagnosis, rendering and the sinks, driven by the
 * worker, on an event loop and a heap of their own, so that their CPU and garbage collection never delay
 * a webhook's answer. It opens its own store connection (SQLite file or PostgreSQL pool) and counts its
 * own metrics, which the main thread merges into /metrics.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../logger.js';
import { Metrics } from '../metrics.js';
import { startMetricsAtZero } from './metric-labels.js';
import { openStore } from './open-store.js';
import { createDeliveryPipeline } from './delivery-pipeline.js';
import { CloseStack } from './close-stack.js';
import { lowerThisThreadPriority } from '../thread-module.js';
import { toThreadError, type PipelineReply, type PipelineRequest, type PipelineThreadData } from './pipeline-messages.js';

if (parentPort === null) throw new Error('pipeline-thread.ts runs only as a worker thread');
const port = parentPort;
const data = workerData as PipelineThreadData;
const reply = (msg: PipelineReply): void => port.postMessage(msg);

const logger = data.forwardLogs
  ? createLogger(
      data.logLevel,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          reply({ type: 'log', line: chunk.toString('utf8') });
          done();
        },
      }),
    )
  : // Synchronous: pino flushes an asynchronous stdout only at the exit of the main thread, and this thread
    // is ended by terminate(); its last lines (why it stopped) must not be lost.
    createLogger(data.logLevel, pino.destination({ dest: 1, sync: true }));

// Under CPU contention (a small node, a CPU limit), the kernel gives a core to the HTTP thread first: a
// webhook answered late delays every notification of Argo CD, an alert posted a few ms later does not. The
// HTTP thread is idle most of the time, so the pipeline still gets the CPU it needs.
const PIPELINE_NICE = 10;
const priority = lowerThisThreadPriority(PIPELINE_NICE);
if ('skipped' in priority) logger.debug(priority, 'the pipeline thread runs at the process priority');

const closers = new CloseStack();

async function open(): Promise<void> {
  const { config } = data;
  // The main thread opened and migrated the store first; this is a second connection to it.
  const store = await openStore(config, logger);
  closers.push(() => store.close());
  // Process-wide series (CPU, RSS, event loop lag) are the main thread's: intake's loop is the one that matters.
  const metrics = new Metrics({ defaultMetrics: false });
  startMetricsAtZero(metrics, data.sinkNames);
  const opened = await createDeliveryPipeline(config, { store, logger, metrics, sinkNames: new Set(data.sinkNames) });
  closers.push(() => opened.close());
  port.on('message', (msg: PipelineRequest) => {
    switch (msg.type) {
      case 'start':
        opened.start();
        break;
      case 'notify':
        opened.notify();
        break;
      case 'health':
        void opened.health().then((health) => reply({ type: 'health', id: msg.id, health: health.worker }));
        break;
      case 'metrics':
        void metrics.registry.getMetricsAsJSON().then((json) => reply({ type: 'metrics', id: msg.id, metrics: json }));
        break;
      case 'close':
        void closers.close().then(
          () => reply({ type: 'closed' }),
          (err: unknown) => reply({ type: 'closed', error: toThreadError(err) }),
        );
        break;
    }
  });
}

open().then(
  () => reply({ type: 'ready' }),
  async (err: unknown) => {
    // Close what was opened (a store connection) before reporting, so the main thread can exit cleanly.
    await closers.close().catch((closeErr: unknown) => logger.error({ err: closeErr }, 'closing the pipeline thread after a failed start also failed'));
    reply({ type: 'failed', error: toThreadError(err) });
  },
);
