import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'webhook-token';

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
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, file, created: true };
}
