import type pg from 'pg';
import type { EmailAttemptLog, EmailAttemptRecord } from '../../model/email-attempt.js';
import { ANSWER_TEXT_MAX, emailAttemptRowSchema, toEmailAttemptRecord } from '../email-attempts.js';
import { rows } from './pg-rows.js';

/**
 * The `email_attempts` table on PostgreSQL. Each write is its own autocommit statement; the email sink
 * cannot wait for it before DATA leaves (nodemailer's transcript is synchronous), so the record lands a
 * round trip later: a replica killed inside that round trip sends the email again when another resumes it
 * (the stable Message-ID lets mail systems drop the duplicate), where SQLite would have recorded it.
 */
export class PgEmailAttempts implements EmailAttemptLog {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async dataStarted(deliveryId: number, attempt: number, messageId: string, now: number): Promise<void> {
    // A later transaction of the same delivery replaces the row: only the last one can still be in doubt.
    await this.#pool.query(
      `INSERT INTO email_attempts (delivery_id, attempt, message_id, data_started_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (delivery_id) DO UPDATE SET attempt = excluded.attempt, message_id = excluded.message_id,
         data_started_at = excluded.data_started_at, answer_code = NULL, answer_text = NULL, answered_at = NULL`,
      [deliveryId, attempt, messageId, now],
    );
  }

  async answered(deliveryId: number, attempt: number, code: number, text: string, now: number): Promise<void> {
    await this.#pool.query(
      'UPDATE email_attempts SET answer_code = $1, answer_text = $2, answered_at = $3 WHERE delivery_id = $4 AND attempt = $5',
      [code, text.slice(0, ANSWER_TEXT_MAX), now, deliveryId, attempt],
    );
  }

  async last(deliveryId: number): Promise<EmailAttemptRecord | null> {
    const [row] = await rows(
      this.#pool,
      emailAttemptRowSchema,
      `SELECT delivery_id, attempt, message_id, data_started_at, answer_code, answer_text, answered_at
       FROM email_attempts WHERE delivery_id = $1`,
      [deliveryId],
    );
    return row === undefined ? null : toEmailAttemptRecord(row);
  }
}
