import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { DeliveryContext, Sink, SinkOutcome } from '../model/sink.js';
import { renderEmail } from '../render/email-message.js';
import { encodingFailure } from './encoding-failure.js';
import { describeError } from '../errors.js';
import type { EmailConfig } from './sink-config.js';

/** What the sink needs of a nodemailer transport; tests may pass their own. */
export interface MailTransport {
  sendMail(mail: Mail.Options): Promise<{ messageId: string; rejected?: unknown[]; response?: string }>;
  close(): void;
}

export interface EmailSinkDeps {
  transport?: MailTransport;
  logger: Logger;
  metrics?: Metrics;
}

interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  command?: unknown;
}

// nodemailer's codes for failures before any SMTP reply: the server could not be reached or the
// connection broke; they pass once the server is back.
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPROTOCOL']);

function smtpFields(err: unknown): SmtpErrorFields {
  return typeof err === 'object' && err !== null ? err : {};
}

/**
 * The one place where SMTP answers become outcomes: 4xx replies (greylisting, mailbox busy, too many
 * connections) and connection failures are retryable; 5xx replies are permanent (an address rejected,
 * authentication refused, the message refused), reported with what to fix.
 */
export function smtpOutcome(err: unknown, address: string): SinkOutcome {
  const f = smtpFields(err);
  const code = typeof f.code === 'string' ? f.code : null;
  const reply = typeof f.responseCode === 'number' ? f.responseCode : null;
  const response = typeof f.response === 'string' ? f.response.trim() : describeError(err);
  const where = `email to ${address}`;
  if (reply !== null && reply >= 400 && reply < 500) {
    return { status: 'retryable', error: `${where}: the SMTP server answered ${response} (temporary), will retry` };
  }
  if (reply !== null && reply >= 500) {
    const fix =
      code === 'EAUTH'
        ? 'the SMTP server refused the credentials: check the user and password in SMTP_URL'
        : f.command === 'STARTTLS'
          ? 'the server does not offer STARTTLS (TLS): use smtps:// if it speaks TLS from the start, or turn email.requireTLS off'
          : f.command === 'RCPT TO'
          ? 'the address was rejected: check it in EMAIL_TO or the routing rules'
          : f.command === 'MAIL FROM'
            ? 'the sender was rejected: check EMAIL_FROM (the relay may not allow this sender)'
            : 'the SMTP server refused the message';
    return { status: 'failed', error: `${where}: ${response}: ${fix}` };
  }
  if (code === 'EAUTH') return { status: 'failed', error: `${where}: ${response}: check the credentials in SMTP_URL` };
  if (code === 'EENVELOPE') return { status: 'failed', error: `${where}: ${response}: check EMAIL_FROM and the recipient address` };
  if (code === 'ETLS' || code === 'ENOTLS') {
    return { status: 'failed', error: `${where}: TLS failed (${response}): check the server's certificate, smtps:// vs smtp://, or email.requireTLS` };
  }
  const encoding = encodingFailure(err, where);
  if (encoding !== null) return encoding;
  if (code !== null && CONNECTION_CODES.has(code)) {
    return { status: 'retryable', error: `${where}: cannot talk to the SMTP server (${code}: ${describeError(err)}), will retry` };
  }
  return { status: 'retryable', error: `${where}: ${describeError(err)}, will retry` };
}

/**
 * Email delivery through nodemailer (pooled SMTP, STARTTLS or TLS, auth from the SMTP URL). The ref of a
 * delivery is its Message-ID, which later mails of the incident reference so that they thread.
 */
export class EmailSink implements Sink {
  readonly name = 'email' as const;
  #transport: MailTransport;
  #from: string;
  #logger: Logger;

  constructor(transport: MailTransport, opts: { from: string; logger: Logger }) {
    this.#transport = transport;
    this.#from = opts.from;
    this.#logger = opts.logger;
  }

  /** Build the sink from its config section; `smtpUrl` and `from` must be set. */
  static fromConfig(email: EmailConfig, deps: EmailSinkDeps): EmailSink {
    const { smtpUrl, from } = email;
    if (smtpUrl === undefined || from === undefined) {
      throw new Error('the email sink needs email.smtpUrl (SMTP_URL) and email.from (EMAIL_FROM)');
    }
    const logger = deps.logger.child({ sink: 'email' });
    const transport = deps.transport ?? EmailSink.#createTransport(email, smtpUrl);
    return new EmailSink(transport, { from, logger });
  }

  static #createTransport(email: EmailConfig, url: string): MailTransport {
    const options: SMTPPool.Options = {
      // Settings in the URL (host, port, auth, smtps:// for TLS) win over these, as nodemailer merges them.
      url,
      pool: email.pool,
      maxConnections: email.maxConnections,
      requireTLS: email.requireTLS,
      tls: { rejectUnauthorized: email.tlsRejectUnauthorized },
      connectionTimeout: email.connectionTimeoutMs,
      greetingTimeout: email.connectionTimeoutMs,
      socketTimeout: email.socketTimeoutMs,
      // The worker retries with persisted backoff; the pool must not requeue a message on its own.
      maxRequeues: 0,
    };
    return nodemailer.createTransport(options);
  }

  async send(ctx: DeliveryContext): Promise<SinkOutcome> {
    const mail = renderEmail(ctx.alert, { from: this.#from, to: ctx.address, threadRootRef: ctx.threadRootRef, logs: ctx.route.logs });
    if (ctx.resumed) {
      // SMTP has no way to ask whether a message was accepted; the Message-ID is stable per (incident,
      // kind), so mail clients collapse a duplicate sent across a crash.
      this.#logger.warn({ delivery: ctx.deliveryId, messageId: mail.messageId }, 'resending an email that was in flight when the process stopped');
    }
    try {
      const info = await this.#transport.sendMail(mail);
      if ((info.rejected ?? []).length > 0) {
        return { status: 'failed', error: `email to ${ctx.address}: the SMTP server rejected the address (${info.response ?? 'no reply text'}): check it in EMAIL_TO or the routing rules` };
      }
      return { status: 'sent', ref: info.messageId };
    } catch (err) {
      return smtpOutcome(err, ctx.address);
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
    return Promise.resolve();
  }
}
