/**
 * Watches nodemailer's SMTP transcript (its `transactionLog`, handed to a logger object of ours) and
 * reports, synchronously, the two instants the crash window of an email turns on (docs/design.md, "Crash
 * windows"): right before the DATA command leaves, and the instant the server's reply to the end of the
 * message (or its refusal of DATA) arrives. nodemailer logs a command before it writes it to the socket
 * and a reply before it acts on it, so a hook that writes to the store from here is durable before DATA
 * leaves, and before the send's promise resolves (so before the worker marks the delivery sent).
 *
 * nodemailer has no per-message hook, so a transaction is tied to its message the way nodemailer itself
 * logs it: the pool (or the single-connection transport) logs "Sending message <Message-ID>" and then, in
 * the same synchronous call, the connection logs its `MAIL FROM`. Each command gets exactly one reply, in
 * order (also when the commands are pipelined), which tells which reply answers DATA and which the end of
 * the message. A transaction that cannot be tied to a message reports nothing: its delivery falls back to
 * resending, never to being taken as accepted.
 */

/** One SMTP transaction, as the sink registered it before sending. */
export interface SmtpTransactionKey {
  /** Message-ID with or without angle brackets. */
  messageId: string;
  /** The envelope recipient. */
  recipient: string;
}

/** What the transcript reports; the sink maps a key to its delivery. Both run synchronously, inside nodemailer. */
export interface SmtpTranscriptHooks {
  /** DATA is about to leave for this transaction. */
  dataStarting(key: SmtpTransactionKey): void;
  /** The server's final reply of a transaction that sent DATA: to the end of the message, or a refusal of DATA. */
  answered(key: SmtpTransactionKey, code: number, text: string): void;
}

type Expected = 'other' | 'data' | 'end-of-data';

interface Session {
  /** Commands sent and not yet answered, oldest first. */
  expecting: Expected[];
  /** The transaction this connection is in, once its MAIL FROM was tied to a message. */
  messageId: string | null;
  recipients: string[];
}

type LogFields = Record<string, unknown>;

function fieldsOf(args: unknown[]): LogFields {
  const first = args[0];
  return typeof first === 'object' && first !== null ? (first as LogFields) : {};
}

function lineOf(args: unknown[]): string {
  const text = args[1];
  return typeof text === 'string' ? text : '';
}

/** `<a@b>` and `a@b` name the same message. */
export function bareMessageId(messageId: string): string {
  return messageId.trim().replace(/^<|>$/g, '');
}

/**
 * A bunyan-style logger for nodemailer (`logger` with `transactionLog: true`) that reads the transcript
 * and reports the DATA instants to `hooks`. It logs nothing itself: nodemailer's transcript holds message
 * addresses and is far too chatty for the service log.
 */
export class SmtpTranscript {
  readonly #hooks: SmtpTranscriptHooks;
  readonly #sessions = new Map<string, Session>();
  /** The message nodemailer said it starts sending, until a connection's MAIL FROM takes it. */
  #announced: string | null = null;

  constructor(hooks: SmtpTranscriptHooks) {
    this.#hooks = hooks;
  }

  /** The logger object to hand to nodemailer's `logger` option. */
  logger(): Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', (...args: unknown[]) => void> {
    const take = (...args: unknown[]): void => this.#entry(args);
    return { trace: take, debug: take, info: take, warn: take, error: take, fatal: take };
  }

  /** Connections with a command in flight or a transaction open (tests; a leak check). */
  get openSessions(): number {
    return this.#sessions.size;
  }

  #entry(args: unknown[]): void {
    const fields = fieldsOf(args);
    if (fields.tnx === 'send' && typeof fields.messageId === 'string') {
      this.#announced = bareMessageId(fields.messageId);
      return;
    }
    const sid = fields.sid;
    if (typeof sid !== 'string') return;
    if (fields.tnx === 'client') this.#client(sid, lineOf(args));
    else if (fields.tnx === 'server') this.#server(sid, lineOf(args));
    else if (fields.tnx === 'network' || fields.tnx === 'smtp') {
      // A closed connection answers nothing more.
      if (/closed|destroy/i.test(lineOf(args))) this.#sessions.delete(sid);
    }
  }

  #session(sid: string): Session {
    let session = this.#sessions.get(sid);
    if (session === undefined) {
      session = { expecting: [], messageId: null, recipients: [] };
      this.#sessions.set(sid, session);
    }
    return session;
  }

  #client(sid: string, line: string): void {
    const session = this.#session(sid);
    const verb = line.slice(0, 10).toUpperCase();
    if (verb.startsWith('MAIL FROM:')) {
      session.messageId = this.#announced;
      this.#announced = null;
      session.recipients = [];
    } else if (verb.startsWith('RCPT TO:')) {
      const m = /<([^>]*)>/.exec(line);
      if (m?.[1] !== undefined) session.recipients.push(m[1]);
    } else if (verb === 'DATA') {
      session.expecting.push('data');
      const key = this.#key(session);
      if (key !== null) this.#hooks.dataStarting(key);
      return;
    } else if (verb.startsWith('RSET')) {
      session.messageId = null;
    }
    session.expecting.push('other');
  }

  #server(sid: string, line: string): void {
    const session = this.#sessions.get(sid);
    // The greeting, or a reply to nothing we sent: it ends no transaction.
    const expected = session?.expecting.shift();
    if (session === undefined || expected === undefined) return;
    const code = Number(line.slice(0, 3));
    const key = this.#key(session);
    if (expected === 'data') {
      if (code === 354) {
        session.expecting.unshift('end-of-data');
      } else {
        if (key !== null) this.#hooks.answered(key, code, line);
        session.messageId = null;
      }
    } else if (expected === 'end-of-data') {
      if (key !== null) this.#hooks.answered(key, code, line);
      session.messageId = null;
    }
    if (session.expecting.length === 0 && session.messageId === null) this.#sessions.delete(sid);
  }

  #key(session: Session): SmtpTransactionKey | null {
    const recipient = session.recipients[0];
    if (session.messageId === null || recipient === undefined) return null;
    return { messageId: session.messageId, recipient };
  }
}
