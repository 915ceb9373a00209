/**
 * The intake writer thread: commits batches of accepted events on a connection of its own, so that the
 * fsync of each commit (synchronous=FULL) blocks this thread and not the HTTP event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './sqlite-store.js';
import type { WriterReply, WriterRequest } from './intake-writer.js';

const port = parentPort;
if (port === null) throw new Error('intake-writer-thread.ts runs only as a worker thread');
const { dataDir } = workerData as { dataDir: string };
const store = SqliteStore.open(dataDir);

port.on('message', (msg: WriterRequest) => {
  if (msg.type === 'close') {
    store.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { id: msg.id, results: store.acceptEvents(msg.items) };
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
