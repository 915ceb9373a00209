import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { DeliveryContext, Sink, SinkOutcome } from '../model/sink.js';
import { renderEmail } from '../render/email-message.js';
import { encodingFailure } from './encoding-failure.js';
import { describeError } from '../errors.js';
import type { EmailAttemptLog } from '../model/email-attempt.js';
import type { EmailConfig } from './sink-config.js';
import { bareMessageId, SmtpTranscript, type SmtpTransactionKey } from './smtp-data-start.js';
import { builtFromSecret, loggedSecretFile } from '../secret-file.js';

/** What the sink needs of a nodemailer transport; tests may pass their own. */
export interface MailTransport {
  sendMail(mail: Mail.Options): Promise<{ messageId: string; rejected?: unknown[]; response?: string }>;
  close(): void;
}

export interface EmailSinkDeps {
  transport?: MailTransport;
  logger: Logger;
  metrics?: Metrics;
  /**
   * Where SMTP transactions are recorded (the store); without it, or with email.recordAttempts off, a
   * resumed delivery is always sent again.
   */
  attempts?: EmailAttemptLog;
  clock?: () => number;
}

/**
 * Run a write of the attempt log from nodemailer's socket handling, which cannot wait for it: a failure,
 * thrown now (SQLite) or later (PostgreSQL), goes to `failed` and never into nodemailer.
 */
function recordAttempt(write: () => void | Promise<void>, failed: (err: unknown) => void): void {
  try {
    const pending = write();
    if (pending !== undefined) pending.catch(failed);
  } catch (err) {
    failed(err);
  }
}

/** A send in progress, as the transcript finds it. */
interface InFlightSend {
  deliveryId: number;
  attempt: number;
  messageId: string;
}

function transactionKey(key: SmtpTransactionKey): string {
  return `${bareMessageId(key.messageId)}\n${key.recipient.toLowerCase()}`;
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
 * The URL and auth nodemailer connects with. A separate password (SMTP_PASSWORD) goes with the URL's user;
 * the user leaves the URL, since nodemailer takes the URL's auth over `auth` (config load has checked that
 * the URL then holds a user and no password).
 */
function smtpConnection(smtpUrl: string, password: string | undefined): Pick<SMTPPool.Options, 'url' | 'auth'> {
  if (password === undefined) return { url: smtpUrl };
  const url = new URL(smtpUrl);
  const user = decodeURIComponent(url.username);
  url.username = '';
  url.password = '';
  return { url: url.toString(), auth: { user, pass: password } };
}

/**
 * Email delivery through nodemailer (pooled SMTP, STARTTLS or TLS, auth from the SMTP URL). The ref of a
 * delivery is its Message-ID, which later mails of the incident reference so that they thread.
 */
export class EmailSink implements Sink {
  readonly name = 'email' as const;
  readonly #transportOf: () => MailTransport;
  /** Transports replaced after the password file changed: sends in flight may still use them, so they close with the sink. */
  readonly #retired: MailTransport[];
  /** The transport built last (a new one is built only when a send asks): what close() closes beside the retired. */
  #latest: MailTransport;
  #from: string;
  #logger: Logger;
  #attempts: EmailAttemptLog | null;
  /** Sends in progress by (Message-ID, recipient): what the transcript's DATA instants are recorded for. */
  readonly #inFlight = new Map<string, InFlightSend>();

  /** `transport`: the transport, or what answers the current one (a new one after the password file changed). */
  constructor(transport: MailTransport | (() => MailTransport), opts: { from: string; logger: Logger; attempts?: EmailAttemptLog | null; retired?: MailTransport[] }) {
    this.#transportOf = typeof transport === 'function' ? transport : () => transport;
    this.#retired = opts.retired ?? [];
    this.#latest = this.#transportOf();
    this.#from = opts.from;
    this.#logger = opts.logger;
    this.#attempts = opts.attempts ?? null;
  }

  /**
   * The transcript hooks that record a transaction's DATA instants in the store. They run inside
   * nodemailer's socket handling: a store error is logged, not thrown into nodemailer (the attempt then
   * counts as unrecorded, and a crash before the outcome is recorded sends it again).
   */
  static #recordingTranscript(attempts: EmailAttemptLog, sink: () => EmailSink | null, clock: () => number, logger: Logger): SmtpTranscript {
    const sendOf = (key: SmtpTransactionKey): InFlightSend | null => {
      const built = sink();
      return built === null ? null : (built.#inFlight.get(transactionKey(key)) ?? null);
    };
    return new SmtpTranscript({
      dataStarting: (key) => {
        const send = sendOf(key);
        if (send === null) return;
        recordAttempt(() => attempts.dataStarted(send.deliveryId, send.attempt, send.messageId, clock()), (err) => {
          logger.error({ err, delivery: send.deliveryId }, 'cannot record in the store that an email is being handed to the SMTP server; a crash now would send it again: check the data volume or the database');
        });
      },
      answered: (key, code, text) => {
        const send = sendOf(key);
        if (send === null) return;
        recordAttempt(() => attempts.answered(send.deliveryId, send.attempt, code, text, clock()), (err) => {
          logger.error({ err, delivery: send.deliveryId }, 'cannot record the SMTP server\'s answer in the store; a crash now would send this email again: check the data volume or the database');
        });
      },
    });
  }

  /** Build the sink from its config section; `smtpUrl` and `from` must be set. */
  static fromConfig(email: EmailConfig, deps: EmailSinkDeps): EmailSink {
    const { smtpUrl, from } = email;
    if (smtpUrl === undefined || from === undefined) {
      throw new Error('the email sink needs email.smtpUrl (SMTP_URL) and email.from (EMAIL_FROM)');
    }
    const logger = deps.logger.child({ sink: 'email' });
    const clock = deps.clock ?? Date.now;
    const attempts = email.recordAttempts ? (deps.attempts ?? null) : null;
    let built: EmailSink | null = null;
    const transcript = attempts === null ? null : EmailSink.#recordingTranscript(attempts, () => built, clock, logger);
    const retired: MailTransport[] = [];
    let transport: MailTransport | (() => MailTransport);
    const { smtpPassword, smtpPasswordFile } = email;
    if (deps.transport !== undefined) transport = deps.transport;
    else if (smtpPassword === undefined || smtpPasswordFile === undefined) transport = EmailSink.#createTransport(email, smtpUrl, smtpPassword, transcript);
    else {
      const current = loggedSecretFile(smtpPasswordFile, smtpPassword, {
        now: clock,
        logger,
        what: { secret: 'SMTP password', variable: 'SMTP_PASSWORD_FILE', changed: 'the next email connects with the new one' },
        fields: { passwordFile: smtpPasswordFile },
      });
      // The pool keeps connections logged in with the old password: new sends get a new pool.
      transport = builtFromSecret(current, (password) => EmailSink.#createTransport(email, smtpUrl, password, transcript), (old) => retired.push(old));
    }
    built = new EmailSink(transport, { from, logger, attempts, retired });
    return built;
  }

  static #createTransport(email: EmailConfig, url: string, password: string | undefined, transcript: SmtpTranscript | null): MailTransport {
    const options: SMTPPool.Options = {
      // The transcript is read, not printed: it marks the instants before DATA and at its answer.
      ...(transcript === null ? {} : { logger: transcript.logger(), transactionLog: true }),
      // Settings in the URL (host, port, auth, smtps:// for TLS) win over these, as nodemailer merges them.
      ...smtpConnection(url, password),
      // An http:// proxy that tunnels with CONNECT (nodemailer's own client; socks would need the socks module).
      ...(email.proxy === undefined ? {} : { proxy: email.proxy }),
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
    const messageId = mail.messageId ?? '';
    const earlier = await this.#earlierSend(ctx, messageId);
    if (earlier !== null) return earlier;
    const key = transactionKey({ messageId, recipient: ctx.address });
    this.#inFlight.set(key, { deliveryId: ctx.deliveryId, attempt: ctx.attempt, messageId });
    try {
      this.#latest = this.#transportOf();
      const info = await this.#latest.sendMail(mail);
      if ((info.rejected ?? []).length > 0) {
        return { status: 'failed', error: `email to ${ctx.address}: the SMTP server rejected the address (${info.response ?? 'no reply text'}): check it in EMAIL_TO or the routing rules` };
      }
      return { status: 'sent', ref: info.messageId };
    } catch (err) {
      return smtpOutcome(err, ctx.address);
    } finally {
      if (this.#inFlight.get(key)?.attempt === ctx.attempt) this.#inFlight.delete(key);
    }
  }

  /**
   * What the store says of this delivery's earlier transactions (docs/design.md, "Crash windows"): the
   * server accepted it (a 2xx answer to the end of DATA was recorded) → sent, not sent again. Otherwise it
   * is sent (again): never handed over, refused, or — the window that remains — DATA started and no
   * answer recorded, when the server may hold it; the stable Message-ID lets mail systems collapse that one.
   */
  async #earlierSend(ctx: DeliveryContext, messageId: string): Promise<SinkOutcome | null> {
    const attempts = this.#attempts;
    if (attempts === null) {
      if (ctx.resumed) {
        // SMTP has no way to ask whether a message was accepted; the Message-ID is stable per (incident,
        // kind), so mail clients collapse a duplicate sent across a crash.
        this.#logger.warn({ delivery: ctx.deliveryId, messageId }, 'resending an email that was in flight when the process stopped');
      }
      return null;
    }
    // A first attempt has no history; later ones look even when not resumed: a send cut by the send
    // timeout may have been answered after it.
    const last = ctx.attempt > 1 ? await attempts.last(ctx.deliveryId) : null;
    const fields = { delivery: ctx.deliveryId, messageId, lastAttempt: last?.attempt, answer: last?.answerText ?? undefined };
    if (last !== null && bareMessageId(last.messageId) === bareMessageId(messageId) && last.answerCode !== null && last.answerCode >= 200 && last.answerCode < 300) {
      this.#logger.info(fields, 'the SMTP server accepted this email before the process stopped (answer recorded); not sending it again');
      return { status: 'sent', ref: messageId };
    }
    if (!ctx.resumed) return null;
    if (last !== null && last.answerCode === null) {
      this.#logger.warn(fields, 'resending an email that was in flight when the process stopped: it was handed to the SMTP server (DATA) and no answer was recorded, so the server may have it; the same Message-ID lets mail systems drop the duplicate');
    } else {
      this.#logger.info(fields, 'resending an email that was in flight when the process stopped: it had not been handed to the SMTP server (no DATA), so this is no duplicate');
    }
    return null;
  }

  async close(): Promise<void> {
    // Not #transportOf(): after a password change it would build a pool only to close it.
    this.#latest.close();
    for (const old of this.#retired.splice(0)) old.close();
    return Promise.resolve();
  }
}
