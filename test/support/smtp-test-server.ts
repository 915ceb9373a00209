import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './test-server.js';

/** One mail as the server received it: the SMTP envelope, the raw message and its parse by mailparser. */
export interface ReceivedMail {
  from: string | null;
  to: string[];
  user: string | null;
  secure: boolean;
  raw: Buffer;
  parsed: ParsedMail;
}

type SmtpCallback = (err?: Error | null) => void;

/** A reply to inject at a stage of the next transaction. */
export interface SmtpFault {
  stage: 'mail' | 'rcpt' | 'data';
  code: number;
  message: string;
}

/**
 * Where the server stops answering, for a deterministic crash point: 'auth' holds the AUTH reply (before
 * any MAIL FROM or DATA); 'data-end' takes the whole message (it is in `mails`: the server has it, as an
 * MTA that queued it) and holds the reply to its end.
 */
export type SmtpHoldStage = 'auth' | 'data-end';

function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * A real SMTP server in-process (smtp-server): AUTH PLAIN/LOGIN with fixed credentials, STARTTLS with
 * smtp-server's built-in test certificate when asked, recipients it rejects with 550, injected 4xx/5xx
 * replies, and an outage: goDown() then comeBack() on the same port. `await SmtpTestServer.start(opts)`
 * listens on 127.0.0.1 port 0; `close()` ends it.
 */
export class SmtpTestServer implements TestServer {
  readonly mails: ReceivedMail[] = [];
  readonly user: string;
  readonly pass: string;
  /** Recipients answered 550 at RCPT TO. */
  readonly unknownRecipients = new Set<string>();
  /** Connection errors other than a client that vanished (ECONNRESET: a killed client, which fault tests cause). */
  readonly errors: Error[] = [];
  #server: SMTPServer | null = null;
  #port = 0;
  #starttls: boolean;
  #faults: SmtpFault[] = [];
  #holds: { stage: SmtpHoldStage; reached: () => void }[] = [];
  /** close() was called: comeBack() must not listen again. */
  #closed = false;
  /** Replies being held; never sent (the client is killed meanwhile), dropped by goDown() and close(). */
  readonly #held: (() => void)[] = [];

  private constructor(opts: { user?: string; pass?: string; starttls?: boolean }) {
    this.user = opts.user ?? 'alerts';
    this.pass = opts.pass ?? 's3cret-pass';
    this.#starttls = opts.starttls ?? false;
  }

  /** smtp://user:pass@127.0.0.1:port */
  get url(): string {
    return `smtp://${encodeURIComponent(this.user)}:${encodeURIComponent(this.pass)}@127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** A server listening on 127.0.0.1:0. */
  static async start(opts: { user?: string; pass?: string; starttls?: boolean } = {}): Promise<SmtpTestServer> {
    const server = new SmtpTestServer(opts);
    await server.#listen();
    return server;
  }

  /** Outage: stop listening and drop connections, keeping the port for comeBack(). */
  async goDown(): Promise<void> {
    await this.#unlisten();
  }

  /** End of the outage: listen again on the port held before goDown(). */
  async comeBack(): Promise<void> {
    if (this.#closed) throw new Error('SmtpTestServer.comeBack() after close(): start a new server with SmtpTestServer.start()');
    if (this.#server !== null) throw new Error('SmtpTestServer.comeBack() while up: call goDown() first');
    await this.#listen();
  }

  /** Stop listening and drop connections for good. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#unlisten();
  }

  /** Listen on this.#port (0 at first, then the port it got, so clients reach it again after an outage). */
  async #listen(): Promise<void> {
    const server = new SMTPServer({
      secure: false,
      authMethods: ['PLAIN', 'LOGIN'],
      // Plain AUTH over a local test connection; STARTTLS tests upgrade first.
      allowInsecureAuth: !this.#starttls,
      ...(this.#starttls ? {} : { disabledCommands: ['STARTTLS'] }),
      closeTimeout: 50,
      logger: false,
      onAuth: (auth: SMTPServerAuthentication, _session: SMTPServerSession, cb: (err: Error | null | undefined, response?: { user?: unknown }) => void) => {
        if (this.#hold('auth', () => cb(null, { user: auth.username }))) return;
        if (auth.username === this.user && auth.password === this.pass) cb(null, { user: auth.username });
        else cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
      },
      onMailFrom: (_address: SMTPServerAddress, _session: SMTPServerSession, cb: SmtpCallback) => {
        const fault = this.#take('mail');
        cb(fault === null ? null : smtpError(fault.code, fault.message));
      },
      onRcptTo: (address: SMTPServerAddress, _session: SMTPServerSession, cb: SmtpCallback) => {
        const fault = this.#take('rcpt');
        if (fault !== null) return cb(smtpError(fault.code, fault.message));
        if (this.unknownRecipients.has(address.address)) return cb(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`));
        cb(null);
      },
      onData: (stream, session, cb: SmtpCallback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const fault = this.#take('data');
          if (fault !== null) return cb(smtpError(fault.code, fault.message));
          const raw = Buffer.concat(chunks);
          simpleParser(raw).then(
            (parsed) => {
              const from = session.envelope.mailFrom;
              this.mails.push({
                from: from === false ? null : from.address,
                to: session.envelope.rcptTo.map((r) => r.address),
                user: typeof session.user === 'string' ? session.user : null,
                secure: session.secure,
                raw,
                parsed,
              });
              if (this.#hold('data-end', () => cb(null))) return;
              cb(null);
            },
            (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: Error & { code?: string }) => {
      if (err.code !== 'ECONNRESET') this.errors.push(err);
    });
    this.#port = (server.server.address() as AddressInfo).port;
    this.#server = server;
  }

  async #unlisten(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Hold the next reply at `stage` (see SmtpHoldStage) and never send it; resolves once a client is held
   * there, which is the moment to kill it.
   */
  holdNext(stage: SmtpHoldStage): Promise<void> {
    return new Promise((resolve) => this.#holds.push({ stage, reached: resolve }));
  }

  /** Replies held so far. */
  get heldReplies(): number {
    return this.#held.length;
  }

  #hold(stage: SmtpHoldStage, reply: () => void): boolean {
    const i = this.#holds.findIndex((h) => h.stage === stage);
    if (i < 0) return false;
    const [hold] = this.#holds.splice(i, 1);
    this.#held.push(reply);
    hold?.reached();
    return true;
  }

  /** Inject a reply for the next transaction at a stage. */
  failNext(fault: SmtpFault): void {
    this.#faults.push(fault);
  }

  #take(stage: SmtpFault['stage']): SmtpFault | null {
    const i = this.#faults.findIndex((f) => f.stage === stage);
    if (i < 0) return null;
    const [fault] = this.#faults.splice(i, 1);
    return fault ?? null;
  }
}
