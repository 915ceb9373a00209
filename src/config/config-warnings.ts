import type { Config } from './schema.js';

/**
 * Settings that are valid but almost certainly not what the user meant: `serve` logs each at start and
 * `validate config` prints them. They are warnings, not errors, because the service still runs as told
 * (a user token posts, as its user; a sink without a route is simply off).
 */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const token = config.slack.token;
  const routes = [config.routing.defaultRoute, ...config.routing.rules];
  if (token !== undefined) {
    if (!token.startsWith('xoxb-')) {
      warnings.push(
        'SLACK_BOT_TOKEN (slack.token) is not a bot token (xoxb-…): Slack refuses most other values with invalid_auth, and a user token (xoxp-) posts as that person; use the Bot User OAuth Token of the Slack app (OAuth & Permissions)',
      );
    }
    if (!routes.some((r) => r.slack.length > 0)) {
      warnings.push('a Slack token is set but no route names a Slack channel, so nothing goes to Slack: set SLACK_CHANNEL (or routing.defaultRoute.slack / a routing rule)');
    }
  } else if (routes.some((r) => r.slack.length > 0)) {
    warnings.push('a route names a Slack channel but no Slack token is set, so nothing goes to Slack: set SLACK_BOT_TOKEN (slack.token)');
  }
  if (config.email.smtpUrl === undefined && routes.some((r) => r.email.length > 0)) {
    warnings.push('a route names an email address but SMTP_URL (email.smtpUrl) is not set, so no email is sent: set SMTP_URL and EMAIL_FROM');
  }
  if (config.email.smtpUrl !== undefined) {
    if (config.email.from === undefined) warnings.push('SMTP_URL is set but EMAIL_FROM is not, so no email is sent: set EMAIL_FROM (email.from)');
    if (!routes.some((r) => r.email.length > 0)) {
      warnings.push('SMTP_URL is set but no route names an email address, so no email is sent: set EMAIL_TO (or routing.defaultRoute.email / a routing rule)');
    }
  }
  return warnings;
}
