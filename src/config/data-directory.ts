import { describeError, errors } from '../errors.js';
import { makeDirectory } from '../make-directory.js';

/**
 * Create the data directory before anything opens it, with the error `serve` reports for an unwritable
 * one: the store's own `mkdirSync(recursive)` would spin under /proc instead of failing.
 */
export function ensureDataDirectory(dataDir: string): void {
  if (dataDir === ':memory:') return;
  try {
    makeDirectory(dataDir);
  } catch (err) {
    throw errors.storeNotWritable(dataDir, `cannot create it: ${describeError(err)}`);
  }
}
