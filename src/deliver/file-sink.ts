import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { makeDirectory } from '../make-directory.js';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { DeliveryContext, RouteOptions, Sink, SinkOutcome } from '../model/sink.js';
import type { Alert } from '../model/alert.js';
import { encodingFailure } from './encoding-failure.js';
import { describeError } from '../errors.js';

/** The renderers the file sink writes with: what Slack and email would receive, with the delivery's route options. */
export interface FileSinkRenderers {
  slack: (alert: Alert, route: RouteOptions) => unknown;
  /** `threadRootRef`: the Message-ID of the incident's first mail in this outbox, which this mail replies to. */
  email: (alert: Alert, route: RouteOptions, threadRootRef: string | null) => Mail.Options;
}

function safeName(text: string): string {
  return text.replace(/[^\w.-]+/g, '_');
}

/**
 * The embedded default sink (a dry run): for each delivery, the Slack message as JSON and the email as an
 * `.eml` file under `<outbox>/<incident>/`, so a user sees exactly what would be sent, down to the
 * `In-Reply-To` and `References` that thread a later mail under the incident's first one.
 */
export class FileSink implements Sink {
  readonly name = 'file' as const;
  readonly dir: string;
  #renderers: FileSinkRenderers;
  #mail = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

  constructor(dir: string, renderers: FileSinkRenderers) {
    this.dir = dir;
    this.#renderers = renderers;
  }

  async send(ctx: DeliveryContext): Promise<SinkOutcome> {
    const folder = join(this.dir, safeName(ctx.alert.incidentId));
    const stem = `${String(ctx.deliveryId).padStart(6, '0')}-${safeName(ctx.alert.deliveryKind)}`;
    try {
      // Not fs.mkdir(recursive): it spins forever where mkdir answers ENOENT (an outbox under /proc).
      makeDirectory(folder);
      const slack = `${JSON.stringify(this.#renderers.slack(ctx.alert, ctx.route), null, 2)}\n`;
      const root = ctx.threadRootRef === null ? null : await messageIdOf(`${ctx.threadRootRef}.eml`);
      const info = await this.#mail.sendMail(this.#renderers.email(ctx.alert, ctx.route, root));
      await publish(join(folder, `${stem}.slack.json`), slack);
      if (!Buffer.isBuffer(info.message)) throw new Error('the mail composer returned a stream, not a buffer');
      await publish(join(folder, `${stem}.eml`), info.message);
      return { status: 'sent', ref: join(folder, stem) };
    } catch (err) {
      return encodingFailure(err, 'file outbox') ?? { status: 'retryable', error: `cannot write to the outbox ${this.dir}: ${describeError(err)}` };
    }
  }

  async close(): Promise<void> {
    this.#mail.close();
    return Promise.resolve();
  }
}

/**
 * The Message-ID of an `.eml` this sink wrote (the ref of a file delivery is its path without the
 * extension). null when the file is gone: someone emptied the outbox, and the mail starts a new thread.
 */
async function messageIdOf(emlPath: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(emlPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const end = text.search(/\r?\n\r?\n/);
  // Header lines may be folded (RFC 5322 2.2.3): a continuation starts with white space.
  const header = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return /^message-id:[ \t]*(<[^>\s]+>)/im.exec(header)?.[1] ?? null;
}

/**
 * Write a file so that it appears whole or not at all, and never twice: write a temporary file, then
 * hard-link it into place (which fails if a previous, interrupted attempt already published it).
 */
async function publish(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
}
