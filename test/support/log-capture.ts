import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

/**
 * A service logger whose lines (of `level` and above) are kept parsed in `logs`: what an operator would read.
 * Give `stream` to startService as its logStream, so that the pipeline thread's lines are kept too.
 */
export function capturingLogger(level = 'warn'): { logger: Logger; logs: Record<string, unknown>[]; stream: Writable } {
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, stream), logs, stream };
}
