/**
 * What the store keeps of an email delivery's last SMTP transaction that reached DATA: that the DATA
 * command left, and what the server answered at the end of the message (or to DATA itself when it
 * refused it). docs/design.md, "Crash windows".
 */
export interface EmailAttemptRecord {
  deliveryId: number;
  attempt: number;
  messageId: string;
  /** When the DATA command was about to leave (ms since the epoch). */
  dataStartedAt: number;
  /** The server's reply code to the end of DATA (or a refusal of DATA); null when none was recorded. */
  answerCode: number | null;
  answerText: string | null;
  answeredAt: number | null;
}

/** The email sink's record of its SMTP transactions, written the instant each step happens (store-side). */
export interface EmailAttemptLog {
  /**
   * Record, durably and before the DATA command leaves, that this attempt may hand the message over.
   * SQLite writes before it returns; PostgreSQL's promise settles after DATA may have left (nodemailer's
   * transcript cannot wait), so a crash in that round trip leaves the attempt unrecorded (sent again).
   */
  dataStarted(deliveryId: number, attempt: number, messageId: string, now: number): void | Promise<void>;
  /** Record the server's final reply of the transaction, the instant it arrives. */
  answered(deliveryId: number, attempt: number, code: number, text: string, now: number): void | Promise<void>;
  /** The delivery's last transaction that reached DATA, or null when none did. */
  last(deliveryId: number): EmailAttemptRecord | null | Promise<EmailAttemptRecord | null>;
}
