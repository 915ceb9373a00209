/**
 * The intake writer thread: commits batches of accepted events on a connection of its own, so that the
 * fsync of each commit (synchronous=FULL) blocks this thread and not the HTTP event loop. It loads only
 * event-acceptance.js: rows arrive ready, so no schema or store module costs memory in this isolate.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { acceptRows, openConnection, StatementCache } from './event-acceptance.js';
import type { WriterReply, WriterRequest } from './intake-writer.js';

const port = parentPort;
if (port === null) throw new Error('intake-writer-thread.ts runs only as a worker thread');
const { file } = workerData as { file: string };
// The main thread opened, checked and migrated this file before starting the thread.
const db = openConnection(file);
const statements = new StatementCache(db);

port.on('message', (msg: WriterRequest) => {
  if (msg.type === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { id: msg.id, results: acceptRows(db, statements, msg.rows) };
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
