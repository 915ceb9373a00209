import type Database from 'better-sqlite3';
import { captureSnapshotSchema, type CaptureRecord, type CaptureSnapshot } from '../model/capture-snapshot.js';
import type { CaptureRepository } from './alert-store.js';

interface CaptureRow {
  captured_at: number;
  snapshot_json: string;
}

/**
 * Captured hook pods in the service's SQLite database (table `captures`, migration 1). One row per pod
 * uid, i.e. per attempt; rows expire after the TTL (SqliteStore.sweep deletes them) and the oldest are
 * dropped when all snapshots together exceed the size cap.
 */
export class SqliteCaptureStore implements CaptureRepository {
  readonly #db: Database.Database;
  readonly #ttlMs: number;
  readonly #maxTotalBytes: number;

  constructor(db: Database.Database, opts: { ttlMs: number; maxTotalBytes: number }) {
    this.#db = db;
    this.#ttlMs = opts.ttlMs;
    this.#maxTotalBytes = opts.maxTotalBytes;
  }

  /** Store (or replace) the snapshot of a pod and enforce the size cap; returns the bytes stored. */
  save(cluster: string, jobName: string, snapshot: CaptureSnapshot, now: number): number {
    const json = JSON.stringify(captureSnapshotSchema.parse(snapshot));
    const size = Buffer.byteLength(json);
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO captures (cluster, namespace, job_name, job_uid, pod_name, pod_uid, reason, captured_at, expires_at, size_bytes, snapshot_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (cluster, pod_uid) DO UPDATE SET
             reason = excluded.reason, captured_at = excluded.captured_at, expires_at = excluded.expires_at,
             size_bytes = excluded.size_bytes, snapshot_json = excluded.snapshot_json, job_uid = excluded.job_uid`,
        )
        .run(
          cluster,
          snapshot.pod.namespace,
          jobName,
          snapshot.jobUid,
          snapshot.pod.name,
          snapshot.pod.uid ?? snapshot.pod.name,
          snapshot.reason,
          now,
          now + this.#ttlMs,
          size,
          json,
        );
      this.#enforceCap();
    })();
    return size;
  }

  #enforceCap(): void {
    const total = this.#db.prepare<[], { n: number | null }>('SELECT SUM(size_bytes) AS n FROM captures').get()?.n ?? 0;
    if (total <= this.#maxTotalBytes) return;
    // Drop the oldest snapshots until the rest fits: recent failures matter more than old ones.
    const rows = this.#db.prepare<[], { id: number; size_bytes: number }>('SELECT id, size_bytes FROM captures ORDER BY captured_at, id').all();
    let excess = total - this.#maxTotalBytes;
    const drop = this.#db.prepare('DELETE FROM captures WHERE id = ?');
    for (const row of rows) {
      if (excess <= 0) break;
      drop.run(row.id);
      excess -= row.size_bytes;
    }
  }

  /** A snapshot of this pod exists (and has not expired). */
  has(cluster: string, podUid: string, now: number): boolean {
    return (
      this.#db
        .prepare<[string, string, number], { n: number }>('SELECT 1 AS n FROM captures WHERE cluster = ? AND pod_uid = ? AND expires_at >= ?')
        .get(cluster, podUid, now) !== undefined
    );
  }

  /** Snapshots of a Job's pods (every attempt under that name), newest first. */
  forJob(cluster: string, namespace: string, jobName: string, now: number, limit = 20): CaptureRecord[] {
    return this.#db
      .prepare<[string, string, string, number, number], CaptureRow>(
        `SELECT captured_at, snapshot_json FROM captures
         WHERE cluster = ? AND namespace = ? AND job_name = ? AND expires_at >= ?
         ORDER BY captured_at DESC, id DESC LIMIT ?`,
      )
      .all(cluster, namespace, jobName, now, limit)
      .flatMap((row) => {
        const parsed = captureSnapshotSchema.safeParse(JSON.parse(row.snapshot_json));
        // A snapshot from an incompatible build is skipped, not fatal: it only enriches.
        if (!parsed.success) return [];
        return [{ ...parsed.data, capturedAt: new Date(row.captured_at).toISOString() }];
      });
  }

  /** Number of snapshots and their total size (metrics, tests). */
  stats(): { count: number; bytes: number } {
    const row = this.#db.prepare<[], { n: number; b: number | null }>('SELECT COUNT(*) AS n, SUM(size_bytes) AS b FROM captures').get();
    return { count: row?.n ?? 0, bytes: row?.b ?? 0 };
  }
}
