import type pg from 'pg';
import { z } from 'zod';
import { captureSnapshotSchema, type CaptureRecord, type CaptureSnapshot } from '../../model/capture-snapshot.js';
import type { CaptureRepository } from '../alert-store.js';
import { int, rows } from './pg-rows.js';

const captureRowSchema = z.object({ captured_at: int, snapshot_json: z.string() });

/**
 * The captures table on PostgreSQL, with SqliteCaptureStore's semantics: one row per pod uid, expiry after
 * the TTL (PgStore.sweep), the oldest dropped past the size cap. The cap is enforced in the saving
 * transaction under a transaction-level advisory lock, so that two replicas saving at once do not both
 * drop rows for the same excess.
 */
export class PgCaptureStore implements CaptureRepository {
  readonly #pool: pg.Pool;
  /** How long a snapshot is kept, and the total size of all of them. */
  readonly #limits: { ttlMs: number; maxTotalBytes: number };

  constructor(pool: pg.Pool, limits: { ttlMs: number; maxTotalBytes: number }) {
    this.#pool = pool;
    this.#limits = limits;
  }

  async save(cluster: string, jobName: string, snapshot: CaptureSnapshot, now: number): Promise<number> {
    const json = JSON.stringify(captureSnapshotSchema.parse(snapshot));
    const size = Buffer.byteLength(json);
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('argocd-hook-alerts:captures'))`);
      await client.query(
        `INSERT INTO captures (cluster, namespace, job_name, job_uid, pod_name, pod_uid, reason, captured_at, expires_at, size_bytes, snapshot_json)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (cluster, pod_uid) DO UPDATE SET
           reason = excluded.reason, captured_at = excluded.captured_at, expires_at = excluded.expires_at,
           size_bytes = excluded.size_bytes, snapshot_json = excluded.snapshot_json, job_uid = excluded.job_uid`,
        [cluster, snapshot.pod.namespace, jobName, snapshot.jobUid, snapshot.pod.name, snapshot.pod.uid ?? snapshot.pod.name, snapshot.reason, now, now + this.#limits.ttlMs, size, json],
      );
      // Drop the oldest snapshots until the rest fits: recent failures matter more than old ones.
      await client.query(
        `DELETE FROM captures WHERE id IN (
           SELECT id FROM (
             SELECT id, SUM(size_bytes) OVER (ORDER BY captured_at DESC, id DESC) AS kept FROM captures
           ) newest_first WHERE kept > $1)`,
        [this.#limits.maxTotalBytes],
      );
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
      client.release(!rolledBack);
      throw err;
    }
    return size;
  }

  async has(cluster: string, podUid: string, now: number): Promise<boolean> {
    const found = await rows(this.#pool, z.object({ n: int }), 'SELECT 1 AS n FROM captures WHERE cluster = $1 AND pod_uid = $2 AND expires_at >= $3', [cluster, podUid, now]);
    return found.length > 0;
  }

  async forJob(cluster: string, namespace: string, jobName: string, now: number, limit = 20): Promise<CaptureRecord[]> {
    const found = await rows(
      this.#pool,
      captureRowSchema,
      `SELECT captured_at, snapshot_json FROM captures
       WHERE cluster = $1 AND namespace = $2 AND job_name = $3 AND expires_at >= $4
       ORDER BY captured_at DESC, id DESC LIMIT $5`,
      [cluster, namespace, jobName, now, limit],
    );
    return found.flatMap((row) => {
      const parsed = captureSnapshotSchema.safeParse(JSON.parse(row.snapshot_json));
      // A snapshot from an incompatible build is skipped, not fatal: it only enriches.
      if (!parsed.success) return [];
      return [{ ...parsed.data, capturedAt: new Date(row.captured_at).toISOString() }];
    });
  }

  async stats(): Promise<{ count: number; bytes: number }> {
    const [row] = await rows(this.#pool, z.object({ n: int, b: int.nullable() }), 'SELECT COUNT(*) AS n, SUM(size_bytes) AS b FROM captures');
    return { count: row?.n ?? 0, bytes: row?.b ?? 0 };
  }
}
