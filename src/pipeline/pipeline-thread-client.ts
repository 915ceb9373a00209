import type { Worker } from 'node:worker_threads';
import type { Writable } from 'node:stream';
import type { Config } from '../config/schema.js';
import type { SinkName } from '../model/sink.js';
import { HookAlertsError } from '../errors.js';
import { startModuleThread } from '../thread-module.js';
import type { DeliveryPipeline, MetricsJson, PipelineHealth } from './delivery-pipeline.js';
import type { PipelineReply, PipelineRequest, PipelineThreadData, ThreadError } from './pipeline-messages.js';

/** How long /healthz and /metrics wait for the thread: a thread that long busy is reported, not waited for. */
const ANSWER_TIMEOUT_MS = 2_000;

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
  readonly #waiting = new Map<number, (reply: PipelineReply) => void>();
  #nextId = 1;
  #ended: Error | null = null;
  #closing: Promise<void> | null = null;

  private constructor(thread: Worker) {
    this.#thread = thread;
  }

  /** Start the thread and wait until its store, sinks and enrichment are open; throws what failed there. */
  static async start(opts: PipelineThreadOptions): Promise<PipelineThread> {
    const data: PipelineThreadData = { config: opts.config, sinkNames: [...opts.sinkNames], logLevel: opts.logLevel, forwardLogs: opts.logStream !== undefined };
    const client = new PipelineThread(startModuleThread(import.meta.url, 'pipeline-thread', data));
    const thread = client.#thread;
    const { logStream } = opts;
    let started = false;
    await new Promise<void>((resolve, reject) => {
      thread.on('message', (msg: PipelineReply) => {
        if (msg.type === 'log') logStream?.write(msg.line);
        else if (msg.type === 'ready') resolve();
        else if (msg.type === 'failed') reject(fromThreadError(msg.error, 'the pipeline thread failed to start'));
        else if (msg.type !== 'closed') client.#waiting.get(msg.id)?.(msg);
      });
      // An uncaught error in the thread comes first, then 'exit': the crash is reported once, with the error.
      thread.on('error', (err) => {
        client.#end(err);
        reject(err);
      });
      thread.on('exit', (code) => {
        client.#end(new Error(`the pipeline thread exited (code ${code})`));
        const cause = client.#ended ?? new Error(`the pipeline thread exited (code ${code})`);
        reject(cause);
        if (started && client.#closing === null) opts.onCrash(cause);
      });
    }).catch(async (err: unknown) => {
      await thread.terminate();
      throw err;
    });
    started = true;
    return client;
  }

  #end(err: Error): void {
    this.#ended ??= err;
    for (const settle of this.#waiting.values()) settle({ type: 'closed', error: { name: 'Error', message: err.message } });
    this.#waiting.clear();
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

  async health(): Promise<PipelineHealth> {
    const answer = await this.#ask('health');
    if (answer?.type === 'health') return answer.health;
    return this.#ended === null
      ? `the pipeline thread did not answer within ${ANSWER_TIMEOUT_MS} ms (busy or stuck)`
      : `the pipeline thread has ended: ${this.#ended.message}`;
  }

  isAlive(): boolean {
    return this.#ended === null;
  }

  async foreignMetrics(): Promise<MetricsJson> {
    const answer = await this.#ask('metrics');
    // Without the thread's answer /metrics still serves intake's series; the worker's are missing, which
    // the alert on a stale hook_alerts_worker_last_pass_timestamp_seconds notices.
    return answer?.type === 'metrics' ? answer.metrics : [];
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    if (this.#ended !== null) return;
    const closed = new Promise<ThreadError | undefined>((resolve) => {
      this.#thread.on('message', (msg: PipelineReply) => {
        if (msg.type === 'closed') resolve(msg.error);
      });
      this.#thread.once('exit', () => resolve(undefined));
    });
    this.#post({ type: 'close' });
    const error = await closed;
    // Closed inside: its sockets (Slack keep-alive, the cluster watches) may still hold the loop, so end it here.
    await this.#thread.terminate();
    if (error !== undefined) throw fromThreadError(error, 'the pipeline thread failed to close');
  }
}
