import type { Logger } from '../logger.js';
import { describeSecretFileChange, rereadingSecretFile, SECRET_FILE_REREAD_MS } from '../secret-file.js';
import { MIN_TOKEN_LENGTH, type ServerConfig } from './server-config.js';

/** Which bearer token, for the log lines of its file's rotation. */
interface TokenNames {
  secret: string;
  variable: string;
  changed: string;
}

/**
 * A bearer token as a function that answers the current one: fixed, or read again from its `*_FILE` when
 * that file changes (a rotated Secret, without a restart). Null when no token is configured.
 */
export function rereadingToken(token: string | undefined, tokenFile: string | undefined, names: TokenNames, now: () => number, logger: Logger): (() => string) | null {
  if (token === undefined) return null;
  if (tokenFile === undefined) return () => token;
  return rereadingSecretFile(tokenFile, token, {
    now,
    intervalMs: SECRET_FILE_REREAD_MS,
    check: (value) => (value.length < MIN_TOKEN_LENGTH ? `a ${names.secret} needs at least ${MIN_TOKEN_LENGTH} characters` : null),
    onChange: (event) => {
      const { level, message } = describeSecretFileChange(event, names);
      logger[level]({ tokenFile }, message);
    },
  });
}

/** The webhook token callers must send (HOOK_ALERTS_TOKEN, or HOOK_ALERTS_TOKEN_FILE re-read on rotation). */
export function webhookToken(server: Pick<ServerConfig, 'token' | 'tokenFile'>, now: () => number, logger: Logger): (() => string) | null {
  return rereadingToken(server.token, server.tokenFile, { secret: 'webhook token', variable: 'HOOK_ALERTS_TOKEN_FILE', changed: 'callers must now send the new one' }, now, logger);
}

/** The incident page's viewer token (HOOK_ALERTS_VIEWER_TOKEN, or HOOK_ALERTS_VIEWER_TOKEN_FILE re-read on rotation). */
export function viewerToken(server: Pick<ServerConfig, 'viewerToken' | 'viewerTokenFile'>, now: () => number, logger: Logger): (() => string) | null {
  return rereadingToken(server.viewerToken, server.viewerTokenFile, { secret: 'viewer token', variable: 'HOOK_ALERTS_VIEWER_TOKEN_FILE', changed: 'viewers must now send the new one' }, now, logger);
}
