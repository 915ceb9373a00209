import type { Logger } from '../logger.js';
import { rereadingSecretFile } from '../secret-file.js';
import { MIN_TOKEN_LENGTH, type ServerConfig } from './server-config.js';

/** How long a token read from HOOK_ALERTS_TOKEN_FILE is used before the file is read again (ms). */
const TOKEN_FILE_REREAD_MS = 1_000;

/**
 * The webhook token callers must send, as a function that answers the current one: fixed, or read again
 * from HOOK_ALERTS_TOKEN_FILE when that file changes (a rotated Secret, without a restart). Null when no
 * token is configured.
 */
export function webhookToken(server: Pick<ServerConfig, 'token' | 'tokenFile'>, now: () => number, logger: Logger): (() => string) | null {
  const { token, tokenFile } = server;
  if (token === undefined) return null;
  if (tokenFile === undefined) return () => token;
  return rereadingSecretFile(tokenFile, token, {
    now,
    intervalMs: TOKEN_FILE_REREAD_MS,
    check: (value) => (value.length < MIN_TOKEN_LENGTH ? `a webhook token needs at least ${MIN_TOKEN_LENGTH} characters` : null),
    onChange: (event) => {
      if (!event.ok) logger.error({ tokenFile }, `${event.message}; the previous webhook token stays in use until the file is fixed`);
      else if (event.changed) logger.info({ tokenFile }, 'webhook token changed in HOOK_ALERTS_TOKEN_FILE: callers must now send the new one');
      else logger.info({ tokenFile }, 'HOOK_ALERTS_TOKEN_FILE is readable again');
    },
  });
}
