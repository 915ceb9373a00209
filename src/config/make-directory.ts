import { mkdirSync, statSync } from 'node:fs';
import { describeError, errors } from '../errors.js';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` that always ends. Node's `mkdirSync(dir, { recursive: true })` spins at 100% CPU forever
 * under /proc (and other pseudo file systems): mkdir there answers ENOENT, which it reads as "the parent
 * is missing", creates the parent (EEXIST), and retries the child without end. Here the missing
 * ancestors are found first and created once each, top down, so any error is thrown as it comes.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    try {
      if (!statSync(current).isDirectory()) throw Object.assign(new Error(`${current} is not a directory`), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const path of missing.reverse()) mkdirSync(path);
}

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
