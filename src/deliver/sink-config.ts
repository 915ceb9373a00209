import { z } from 'zod';

export const slackConfigSchema = z.strictObject({
  /** Bot token (xoxb-…); from SLACK_BOT_TOKEN. */
  token: z.string().min(1).optional(),
  /** Base URL of the Slack Web API; from SLACK_API_URL. Tests point it at a local server. */
  apiUrl: z.url().default('https://slack.com/api/'),
});

export const emailConfigSchema = z.strictObject({
  /** smtp://user:pass@host:587 or smtps://…; from SMTP_URL. */
  smtpUrl: z.string().min(1).optional(),
  /** Sender address; from EMAIL_FROM. */
  from: z.string().min(3).optional(),
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
