import type { Logger } from '../logger.js';
import { describeSecretFileChange, rereadingSecretFile, SECRET_FILE_REREAD_MS } from '../secret-file.js';
import { MIN_TOKEN_LENGTH, type ServerConfig } from './server-config.js';

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
    intervalMs: SECRET_FILE_REREAD_MS,
    check: (value) => (value.length < MIN_TOKEN_LENGTH ? `a webhook token needs at least ${MIN_TOKEN_LENGTH} characters` : null),
    onChange: (event) => {
      const { level, message } = describeSecretFileChange(event, { secret: 'webhook token', variable: 'HOOK_ALERTS_TOKEN_FILE', changed: 'callers must now send the new one' });
      logger[level]({ tokenFile }, message);
    },
  });
}
