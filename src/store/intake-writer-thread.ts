/**
 * The intake writer thread: commits batches of accepted events on a connection of its own, so that the
 * fsync of each commit (synchronous=FULL) blocks this thread and not the HTTP event loop. It loads only
 * event-acceptance.js: rows arrive ready, so no schema or store module costs memory in this isolate.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { acceptRows, BUSY_TIMEOUT_MS, isBusy, openConnection, StatementCache } from './event-acceptance.js';
import type { WriterReply, WriterRequest } from './intake-writer.js';

const port = parentPort;
if (port === null) throw new Error('intake-writer-thread.ts runs only as a worker thread');
const { file } = workerData as { file: string };
// The main thread opened, checked and migrated this file before starting the thread.
const db = openConnection(file);
const statements = new StatementCache(db);

// The pipeline's connection writes to the same file, and SQLite has one write lock. Its busy handler
// sleeps 1, 2, 5, 10 ms... between tries, so a webhook waited up to 18 ms for a lock held 3 ms. This thread
// may block, so it tries again every quarter millisecond instead, within the same overall timeout.
const BUSY_RETRY_MS = 0.25;
db.pragma('busy_timeout = 0');
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Commit the rows, trying again while another connection holds the write lock (BEGIN IMMEDIATE is refused before any work). */
function acceptWhenUnlocked(rows: Parameters<typeof acceptRows>[2]): ReturnType<typeof acceptRows> {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return acceptRows(db, statements, rows);
    } catch (err) {
      if (!isBusy(err) || performance.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, BUSY_RETRY_MS);
    }
  }
}

port.on('message', (msg: WriterRequest) => {
  if (msg.type === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { id: msg.id, results: acceptWhenUnlocked(msg.rows) };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    reply = {
      id: msg.id,
      error: { code: typeof e.code === 'string' ? e.code : 'SQLITE_ERROR', message: String(e.message ?? err) },
    };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true });
