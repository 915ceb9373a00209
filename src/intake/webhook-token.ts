import type { Logger } from '../logger.js';
import { loggedSecretFile, type LoggedSecretFileOptions } from '../secret-file.js';
import { MIN_TOKEN_LENGTH, type ServerConfig } from './server-config.js';

/**
 * A bearer token as a function that answers the current one: fixed, or read again from its `*_FILE` when
 * that file changes (a rotated Secret, without a restart). Null when no token is configured.
 */
export function rereadingToken(token: string | undefined, tokenFile: string | undefined, names: LoggedSecretFileOptions['what'], now: () => number, logger: Logger): (() => string) | null {
  if (token === undefined) return null;
  if (tokenFile === undefined) return () => token;
  return loggedSecretFile(tokenFile, token, {
    now,
    logger,
    what: names,
    fields: { tokenFile },
    check: (value) => (value.length < MIN_TOKEN_LENGTH ? `a ${names.secret} needs at least ${MIN_TOKEN_LENGTH} characters` : null),
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
