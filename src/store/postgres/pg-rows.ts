import type pg from 'pg';
import { z } from 'zod';

/** A query runner: the pool, or one client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

// BIGINT and COUNT(*) arrive as strings (node-postgres keeps int8 exact); every value here (ms since the
// epoch, ids, counts) is far below 2^53, so a number is exact. The same schema reads the shared listings.
export { int } from '../delivery-listing.js';

/** Rows of a query, checked against their schema: the one place database rows become typed values. */
export async function rows<T>(db: Queryable, schema: z.ZodType<T>, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = await db.query(sql, params);
  return z.array(schema).parse(result.rows);
}
