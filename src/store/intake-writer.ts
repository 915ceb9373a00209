import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../thread-module.js';
import type { HookEvent } from '../model/hook-event.js';
import { toAcceptRow } from './sqlite-store.js';
import type { AlertStore } from './alert-store.js';
import type { AcceptResult, AcceptRow } from './event-acceptance.js';

type AcceptItem = { event: HookEvent; dedupeKey: string; now: number };

export type WriterRequest = { type: 'accept'; id: number; rows: AcceptRow[] } | { type: 'close' };
export type WriterReply =
  | { id: number; results: AcceptResult[] }
  | { id: number; error: { code: string; message: string } };

/** Commits accepted events durably; resolves once the event is stored. */
export interface EventCommitter {
  accept(event: HookEvent, dedupeKey: string, now: number): Promise<AcceptResult>;
  close(): Promise<void>;
}

interface Waiting {
  item: AcceptItem;
  resolve: (result: AcceptResult) => void;
  reject: (err: unknown) => void;
}

function storeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function settle(batch: Waiting[], results: AcceptResult[]): void {
  batch.forEach((w, i) => {
    const result = results[i];
    if (result === undefined) w.reject(new Error('the store returned fewer results than events'));
    else w.resolve(result);
  });
}

/**
 * Group commit on the event loop's own connection: events queued within one millisecond share one
 * transaction. Used for in-memory SQLite stores (tests), which a second thread cannot open, and for
 * PostgreSQL, whose commits wait on the network, not on this thread.
 */
export class InlineGroupCommit implements EventCommitter {
  #store: Pick<AlertStore, 'acceptEvents'>;
  /** Batches being committed (PostgreSQL: several may be on the wire at once); close waits for them. */
  readonly #committing = new Set<Promise<void>>();
  #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(store: Pick<AlertStore, 'acceptEvents'>) {
    this.#store = store;
  }

  accept(event: HookEvent, dedupeKey: string, now: number): Promise<AcceptResult> {
    return new Promise<AcceptResult>((resolve, reject) => {
      this.#waiting.push({ item: { event, dedupeKey, now }, resolve, reject });
      this.#timer ??= setTimeout(() => this.#flush(), 1);
    });
  }

  #flush(): void {
    this.#timer = null;
    const batch = this.#waiting;
    this.#waiting = [];
    const commit = (async () => {
      try {
        settle(batch, await this.#store.acceptEvents(batch.map((w) => w.item)));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    })();
    this.#committing.add(commit);
    void commit.finally(() => this.#committing.delete(commit));
  }

  async close(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#flush();
    }
    await Promise.all(this.#committing);
  }
}

/**
 * Group commit on a writer thread with its own SQLite connection: while it commits (and fsyncs) one batch,
 * the event loop keeps parsing requests, and everything that arrived meanwhile goes in the next batch.
 * 202 still means "committed": a request is answered only after its batch's commit.
 */
export class ThreadedGroupCommit implements EventCommitter {
  #worker: Worker;
  #queue: Waiting[] = [];
  #inFlight: { id: number; batch: Waiting[] } | null = null;
  #nextId = 1;
  #ready: Promise<void>;
  #failure: Error | null = null;

  private constructor(worker: Worker, ready: Promise<void>) {
    this.#worker = worker;
    this.#ready = ready;
    worker.on('message', (msg: WriterReply | { ready: true }) => {
      if ('ready' in msg) return;
      this.#onReply(msg);
    });
    worker.on('error', (err) => this.#fail(err));
    worker.on('exit', (code) => this.#fail(new Error(`the intake writer thread exited (code ${code})`)));
  }

  /** Start the writer thread on the store's database file (already opened and migrated by the caller). */
  static async start(file: string): Promise<ThreadedGroupCommit> {
    // Rows are small and short-lived: a small young generation keeps this thread's heap from growing to the
    // default 2 × 16 MiB under load (the service's memory budget is 150 MB in all).
    const worker = startModuleThread(import.meta.url, 'intake-writer-thread', { file }, { maxYoungGenerationSizeMb: 4 });
    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (msg: unknown): void => {
        if (typeof msg === 'object' && msg !== null && 'ready' in msg) {
          worker.off('message', onMessage);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the intake writer thread exited during start-up (code ${code})`)));
    });
    const committer = new ThreadedGroupCommit(worker, ready);
    await ready;
    return committer;
  }

  /** False once the writer thread died: readiness reports it and intake answers 503. */
  isAlive(): boolean {
    return this.#failure === null;
  }

  accept(event: HookEvent, dedupeKey: string, now: number): Promise<AcceptResult> {
    if (this.#failure !== null) return Promise.reject(storeError('SQLITE_CANTOPEN', this.#failure.message));
    return new Promise<AcceptResult>((resolve, reject) => {
      this.#queue.push({ item: { event, dedupeKey, now }, resolve, reject });
      if (this.#inFlight === null) this.#send();
    });
  }

  #send(): void {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    const id = this.#nextId++;
    this.#inFlight = { id, batch };
    const request: WriterRequest = { type: 'accept', id, rows: batch.map((w) => toAcceptRow(w.item.event, w.item.dedupeKey, w.item.now)) };
    this.#worker.postMessage(request);
  }

  #onReply(reply: WriterReply): void {
    const current = this.#inFlight;
    if (current?.id !== reply.id) return;
    this.#inFlight = null;
    if ('error' in reply) {
      const err = storeError(reply.error.code, reply.error.message);
      for (const w of current.batch) w.reject(err);
    } else {
      settle(current.batch, reply.results);
    }
    this.#send();
  }

  #fail(err: Error): void {
    if (this.#failure !== null) return;
    this.#failure = err;
    const pending = [...(this.#inFlight?.batch ?? []), ...this.#queue];
    this.#inFlight = null;
    this.#queue = [];
    const failure = storeError('SQLITE_CANTOPEN', `intake writer thread failed: ${err.message}`);
    for (const w of pending) w.reject(failure);
  }

  /** Wait for the batch in flight, then close the thread's connection and let it exit. */
  async close(): Promise<void> {
    await this.#ready;
    while ((this.#inFlight !== null || this.#queue.length > 0) && this.#failure === null) {
      await new Promise((r) => setTimeout(r, 5));
    }
    if (this.#failure !== null) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#failure = new Error('the intake writer is closed');
    const request: WriterRequest = { type: 'close' };
    this.#worker.postMessage(request);
    await exited;
  }
}
