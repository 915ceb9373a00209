import { z } from 'zod';

export const slackConfigSchema = z.strictObject({
  /** Bot token (xoxb-…); from SLACK_BOT_TOKEN. */
  token: z.string().min(1).optional(),
  /** The file SLACK_BOT_TOKEN_FILE names: read again on a send when a second has passed, so a rotated token needs no restart. */
  tokenFile: z.string().min(1).optional(),
  /** Base URL of the Slack Web API; from SLACK_API_URL. Tests point it at a local server. */
  apiUrl: z.url().default('https://slack.com/api/'),
  /** One Web API call that takes longer is aborted (and the delivery retried by the worker). */
  requestTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  /**
   * Upload the whole scrubbed log into the thread when the message shows only its end (files.uploadV2;
   * needs the files:write scope).
   */
  uploadLogs: z.boolean().default(true),
  /**
   * At most this many messages of a channel, posted since the delivery's first attempt, are read when it
   * resumes after a crash or a timeout, looking for its own earlier post (conversations.history; needs
   * channels:history / groups:history). More posts than this in that time: it may post twice.
   */
  lookbackMessages: z.number().int().min(10).max(5_000).default(1_000),
});

export const emailConfigSchema = z.strictObject({
  /** smtp://user:pass@host:587 or smtps://…; from SMTP_URL or SMTP_URL_FILE. */
  smtpUrl: z.string().min(1).optional(),
  /** The SMTP password, when not in smtpUrl (whose user it goes with); from SMTP_PASSWORD or SMTP_PASSWORD_FILE. */
  smtpPassword: z.string().min(1).optional(),
  /** The file SMTP_PASSWORD_FILE names: read again on a send when a second has passed, so a rotated password needs no restart. */
  smtpPasswordFile: z.string().min(1).optional(),
  /**
   * An http:// proxy that tunnels SMTP with CONNECT (http://proxy.example:3128; basic credentials in the URL
   * are sent); from SMTP_PROXY. HTTPS_PROXY is not used for SMTP: most egress proxies allow CONNECT to port
   * 443 only, so SMTP through one is a choice to make, not a default. socks5 is refused (it needs the socks module).
   */
  proxy: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// proxy URL that tunnels with CONNECT (http://proxy.example:3128); socks is not supported' })
    .optional(),
  /** Sender address; from EMAIL_FROM. */
  from: z.string().min(3).optional(),
  /** Keep SMTP connections open and reuse them (nodemailer pool). */
  pool: z.boolean().default(true),
  maxConnections: z.number().int().min(1).max(50).default(2),
  /** Refuse to send unless the server offers STARTTLS (smtp://); smtps:// is TLS from the start. */
  requireTLS: z.boolean().default(false),
  /** false accepts self-signed server certificates (test relays only). */
  tlsRejectUnauthorized: z.boolean().default(true),
  connectionTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  socketTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  /**
   * Record in the store when DATA starts and what the server answered to the end of the message, so that
   * an email the server accepted right before a crash is not sent again (docs/design.md, "Crash windows").
   * false: a delivery cut short by a crash is always sent again (the behaviour before; a baseline).
   */
  recordAttempts: z.boolean().default(true),
});

export const fileSinkConfigSchema = z.strictObject({
  /** auto: on when no other sink is configured. */
  enabled: z.enum(['auto', 'true', 'false']).default('auto'),
  /** Default: <dataDir>/outbox. */
  dir: z.string().min(1).optional(),
});

export type SlackConfig = z.infer<typeof slackConfigSchema>;
export type EmailConfig = z.infer<typeof emailConfigSchema>;
export type FileSinkConfig = z.infer<typeof fileSinkConfigSchema>;
