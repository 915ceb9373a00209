/** The schemes nodemailer opens an SMTP connection for: STARTTLS (smtp) and TLS from the start (smtps). */
const SMTP_SCHEMES = new Set(['smtp:', 'smtps:']);

/** What is wrong with an SMTP_URL, in words that never repeat the URL (its password). */
export type SmtpUrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/**
 * Parse SMTP_URL once, at config load. nodemailer parses it again when the sink is built; an invalid URL
 * there throws "Invalid URL" from deep in the transport and Node's DEP0170 warning prints the whole URL,
 * password included, so every URL that reaches the sink has passed here.
 */
export function checkSmtpUrl(value: string): SmtpUrlCheck {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The WHATWG parser's message is just "Invalid URL"; the usual cause is a password with # ? / or %.
    return {
      ok: false,
      message:
        'SMTP_URL is not a valid URL: percent-encode special characters of the password, e.g. # as %23, / as %2F, ? as %3F, % as %25 (encodeURIComponent does)',
    };
  }
  if (!SMTP_SCHEMES.has(url.protocol)) {
    return {
      ok: false,
      message: `SMTP_URL must start with smtp:// (STARTTLS, port 587) or smtps:// (TLS, port 465), not ${JSON.stringify(url.protocol.slice(0, 20))}`,
    };
  }
  if (url.hostname === '') return { ok: false, message: 'SMTP_URL names no host: smtp://user:password@host:587' };
  return { ok: true, url };
}
