import type { Worker } from 'node:worker_threads';
import type { Writable } from 'node:stream';
import type { Config } from '../config/schema.js';
import type { SinkName } from '../model/sink.js';
import { HookAlertsError } from '../errors.js';
import { startModuleThread } from '../thread-module.js';
import type { DeliveryPipeline, MetricsJson, PipelineHealth } from './delivery-pipeline.js';
import type { PipelineReply, PipelineRequest, PipelineThreadData, ThreadError } from './pipeline-messages.js';

/** How long /healthz and /metrics wait for the thread: a thread that long without answering is reported, not waited for. */
const ANSWER_TIMEOUT_MS = 2_000;
/** Beyond the send timeout (the longest a delivery in progress may take), how long a close waits before ending the thread. */
const CLOSE_MARGIN_MS = 10_000;

/** Rebuild a thread's error on this side, keeping the code and exit code the CLI and the logs go by. */
function fromThreadError(e: ThreadError, context: string): Error {
  const err =
    e.code !== undefined && e.exitCode !== undefined
      ? new HookAlertsError(e.code, e.message, { exitCode: e.exitCode === 2 ? 2 : 1 })
      : Object.assign(new Error(`${context}: ${e.message}`), e.code === undefined ? {} : { code: e.code });
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/** What the main thread gives the pipeline thread at start. */
export interface PipelineThreadOptions {
  config: Config;
  sinkNames: ReadonlySet<SinkName>;
  logLevel: string;
  /** Where the thread's log lines go when the service logger does not write to stdout (tests); absent: the thread writes to stdout itself. */
  logStream?: Writable;
  /** Called once if the thread ends while it should be running (an uncaught error, out of memory). */
  onCrash: (err: Error) => void;
}

/**
 * The main thread's handle on the pipeline thread (src/pipeline/pipeline-thread.ts): it wakes the worker
 * there, asks it for its health and metrics, and stops it. A request is one small message: the webhook's
 * answer never waits for the pipeline.
 */
export class PipelineThread implements DeliveryPipeline {
  readonly #thread: Worker;
  readonly #ready: Promise<void>;
  readonly #closeTimeoutMs: number;
  readonly #waiting = new Map<number, (reply: PipelineReply | null) => void>();
  #nextId = 1;
  #started = false;
  /** Why the thread ended (its uncaught error first), null while it runs. */
  #ended: Error | null = null;
  #closing: Promise<void> | null = null;
  /** An uncaught error of the thread, if one ended it. */
  #uncaught: Error | null = null;
  /** The thread's last metrics: served when it is too busy to answer, so that its counters never drop to 0 (a false reset). */
  #lastMetrics: MetricsJson = [];

  /**
   * Start the thread; it loads and opens its parts (store, sinks, enrichment) while the caller goes on.
   * Messages sent meanwhile wait in its port; ready() says whether the start succeeded.
   */
  constructor(opts: PipelineThreadOptions) {
    const data: PipelineThreadData = { config: opts.config, sinkNames: [...opts.sinkNames], logLevel: opts.logLevel, forwardLogs: opts.logStream !== undefined };
    this.#closeTimeoutMs = opts.config.worker.sendTimeoutMs + CLOSE_MARGIN_MS;
    const thread = startModuleThread(import.meta.url, 'pipeline-thread', data);
    this.#thread = thread;
    const { logStream } = opts;
    this.#ready = new Promise<void>((resolve, reject) => {
      thread.on('message', (msg: PipelineReply) => {
        if (msg.type === 'log') logStream?.write(msg.line);
        else if (msg.type === 'ready') {
          this.#started = true;
          resolve();
        } else if (msg.type === 'failed') reject(fromThreadError(msg.error, 'the pipeline thread failed to start'));
        else if (msg.type !== 'closed') this.#waiting.get(msg.id)?.(msg);
      });
      // An uncaught error in the thread comes first, then 'exit': the crash is reported once, with the error.
      thread.on('error', (err) => {
        this.#uncaught ??= err;
        this.#ended ??= err;
        reject(err);
      });
      thread.on('exit', (code) => {
        this.#ended ??= new Error(`the pipeline thread exited (code ${code})`);
        for (const settle of this.#waiting.values()) settle(null);
        this.#waiting.clear();
        reject(this.#ended);
        if (this.#started && this.#closing === null) opts.onCrash(this.#ended);
      });
    });
    // Observed by ready(); a start failure must not also surface as an unhandled rejection.
    this.#ready.catch(() => undefined);
  }

  /** Resolves once the thread's parts are open; rejects with what failed there (the thread is then ended). */
  async ready(): Promise<void> {
    try {
      await this.#ready;
    } catch (err) {
      await this.#thread.terminate();
      throw err;
    }
  }

  #post(msg: PipelineRequest): void {
    if (this.#ended === null) this.#thread.postMessage(msg);
  }

  /** One request and its answer, or null when the thread does not answer in time or has ended. */
  async #ask(type: 'health' | 'metrics'): Promise<PipelineReply | null> {
    if (this.#ended !== null) return null;
    const id = this.#nextId++;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<PipelineReply | null>((resolve) => {
        this.#waiting.set(id, resolve);
        timer = setTimeout(() => resolve(null), ANSWER_TIMEOUT_MS);
        this.#post({ type, id });
      });
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(id);
    }
  }

  start(): void {
    this.#post({ type: 'start' });
  }

  notify(): void {
    this.#post({ type: 'notify' });
  }

  async health(): Promise<{ alive: boolean; worker: PipelineHealth }> {
    if (!this.#started && this.#ended === null) return { alive: true, worker: 'starting: the pipeline thread is opening its store, sinks and clusters' };
    const answer = await this.#ask('health');
    if (answer?.type === 'health') return { alive: true, worker: answer.health };
    // Not alive: a thread that cannot answer a message in 2 s is stuck (its event loop blocked), and only a
    // restart brings it back, as the liveness probe does for a blocked HTTP thread.
    return {
      alive: false,
      worker:
        this.#ended === null
          ? `the pipeline thread did not answer within ${ANSWER_TIMEOUT_MS} ms (its event loop is blocked)`
          : `the pipeline thread has ended: ${this.#ended.message}`,
    };
  }

  isAlive(): boolean {
    return this.#ended === null;
  }

  async foreignMetrics(): Promise<MetricsJson> {
    const answer = await this.#ask('metrics');
    if (answer?.type === 'metrics') this.#lastMetrics = answer.metrics;
    return this.#lastMetrics;
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    if (this.#ended !== null) return;
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<{ error?: ThreadError; timedOut?: true }>((resolve) => {
      this.#thread.on('message', (msg: PipelineReply) => {
        if (msg.type === 'closed') resolve(msg.error === undefined ? {} : { error: msg.error });
      });
      this.#thread.once('exit', () => resolve({}));
      // A send or an enrichment that does not end must not hold a SIGTERM until the kubelet's SIGKILL.
      timer = setTimeout(() => resolve({ timedOut: true }), this.#closeTimeoutMs);
    });
    this.#post({ type: 'close' });
    const outcome = await closed;
    clearTimeout(timer);
    // Whatever answered, its sockets (Slack keep-alive, the cluster watches) may still hold its loop: end it here.
    const crashed = this.#uncaught;
    await this.#thread.terminate();
    if (outcome.timedOut === true) throw new Error(`the pipeline thread did not close within ${this.#closeTimeoutMs} ms (worker.sendTimeoutMs + 10 s); it was stopped`);
    if (outcome.error !== undefined) throw fromThreadError(outcome.error, 'the pipeline thread failed to close');
    if (crashed !== null) throw Object.assign(new Error(`the pipeline thread crashed while closing: ${crashed.message}`), { cause: crashed });
  }
}
