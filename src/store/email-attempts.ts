import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { EmailAttemptLog, EmailAttemptRecord } from '../model/email-attempt.js';

/** An `email_attempts` row (PostgreSQL's BIGINTs arrive as strings, hence the coercion). */
export const emailAttemptRowSchema = z.object({
  delivery_id: z.coerce.number().int(),
  attempt: z.coerce.number().int(),
  message_id: z.string(),
  data_started_at: z.coerce.number().int(),
  answer_code: z.coerce.number().int().nullable(),
  answer_text: z.string().nullable(),
  answered_at: z.coerce.number().int().nullable(),
});
type EmailAttemptRow = z.infer<typeof emailAttemptRowSchema>;

/** The longest reply text kept: a queue id fits many times over, a chatty server cannot grow the row. */
export const ANSWER_TEXT_MAX = 512;

/** A stored row as the email sink reads it. */
export function toEmailAttemptRecord(row: EmailAttemptRow): EmailAttemptRecord {
  return {
    deliveryId: row.delivery_id,
    attempt: row.attempt,
    messageId: row.message_id,
    dataStartedAt: row.data_started_at,
    answerCode: row.answer_code,
    answerText: row.answer_text,
    answeredAt: row.answered_at,
  };
}

/**
 * The `email_attempts` table (migration 4) on the store's connection. Each write is its own autocommit
 * transaction, durable (synchronous=FULL) when the call returns: the email sink calls it from nodemailer's
 * transcript, right before DATA leaves and the instant the answer arrives.
 */
export class SqliteEmailAttempts implements EmailAttemptLog {
  readonly #started: Database.Statement<[number, number, string, number]>;
  readonly #answered: Database.Statement<[number, string, number, number, number]>;
  readonly #last: Database.Statement<[number], EmailAttemptRow>;

  constructor(db: Database.Database) {
    // A later transaction of the same delivery replaces the row: only the last one can still be in doubt.
    this.#started = db.prepare(
      `INSERT INTO email_attempts (delivery_id, attempt, message_id, data_started_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (delivery_id) DO UPDATE SET attempt = excluded.attempt, message_id = excluded.message_id,
         data_started_at = excluded.data_started_at, answer_code = NULL, answer_text = NULL, answered_at = NULL`,
    );
    this.#answered = db.prepare(
      `UPDATE email_attempts SET answer_code = ?, answer_text = ?, answered_at = ? WHERE delivery_id = ? AND attempt = ?`,
    );
    this.#last = db.prepare(
      `SELECT delivery_id, attempt, message_id, data_started_at, answer_code, answer_text, answered_at
       FROM email_attempts WHERE delivery_id = ?`,
    );
  }

  dataStarted(deliveryId: number, attempt: number, messageId: string, now: number): void {
    this.#started.run(deliveryId, attempt, messageId, now);
  }

  answered(deliveryId: number, attempt: number, code: number, text: string, now: number): void {
    this.#answered.run(code, text.slice(0, ANSWER_TEXT_MAX), now, deliveryId, attempt);
  }

  last(deliveryId: number): EmailAttemptRecord | null {
    const row = this.#last.get(deliveryId);
    return row === undefined ? null : toEmailAttemptRecord(row);
  }
}
