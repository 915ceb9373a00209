import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

/** A service logger whose lines (of `level` and above) are kept parsed in `logs`: what an operator would read. */
export function capturingLogger(level = 'warn'): { logger: Logger; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, stream), logs };
}
