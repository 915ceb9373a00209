import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths that can hold a secret anywhere in a log line (pino `redact`). Log bodies are never logged; these
 * cover tokens and the SMTP URL if a config object or request headers end up in a log call.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'server.token',
  'slack.token',
  'email.smtpUrl',
  'smtpUrl',
  '*.smtpUrl',
  'config.server.token',
  'config.slack.token',
  'config.email.smtpUrl',
  'smtpPassword',
  '*.smtpPassword',
  'config.email.smtpPassword',
];

export type { Logger };

/** The service logger: JSON lines on stdout with secrets redacted. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'argocd-hook-alerts' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
