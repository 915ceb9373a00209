import type { HookEvent } from './hook-event.js';
import type { AcceptResult, SqliteStore } from '../store/sqlite-store.js';

interface Waiting {
  item: { event: HookEvent; dedupeKey: string; now: number };
  resolve: (result: AcceptResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for intake: events that arrive while the event loop is busy are committed together in one
 * transaction (one fsync with synchronous=FULL), and each request is answered only after that commit. Under
 * load this turns N fsyncs into one without weakening "202 means stored".
 */
export class GroupCommit {
  #store: SqliteStore;
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(store: SqliteStore) {
    this.#store = store;
  }

  /** Queue an event for the next commit; resolves with its result once it is durable. */
  accept(event: HookEvent, dedupeKey: string, now: number): Promise<AcceptResult> {
    return new Promise<AcceptResult>((resolve, reject) => {
      this.#waiting.push({ item: { event, dedupeKey, now }, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // setImmediate runs after the I/O callbacks of this loop turn: requests already read join the batch.
        setTimeout(() => this.#flush(), 1);
      }
    });
  }

  #flush(): void {
    const batch = this.#waiting;
    this.#waiting = [];
    this.#scheduled = false;
    try {
      const results = this.#store.acceptEvents(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        const result = results[i];
        if (result === undefined) w.reject(new Error('group commit returned fewer results than events'));
        else w.resolve(result);
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
