import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory } from '../make-directory.js';
import { describeError, errors } from '../errors.js';

const TOKEN_FILE = 'webhook-token';

/**
 * The embedded default's token: generated once into the data dir (mode 0600) and reused after, so that a
 * local `npm start` is authenticated without any setup. Returns the file path and whether it was created.
 */
export function ensureWebhookToken(dataDir: string): { token: string; file: string; created: boolean } {
  const file = join(dataDir, TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, file, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  try {
    makeDirectory(dataDir);
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  } catch (err) {
    throw errors.storeNotWritable(dataDir, describeError(err));
  }
  return { token, file, created: true };
}
