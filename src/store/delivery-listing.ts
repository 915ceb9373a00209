/**
 * How a delivery is listed (`deliveries list`, the incident page, tests): its states and the one SELECT
 * both adapters run. Apart from alert-store.ts so that the incident reads can use it without a circle.
 */
import { z } from 'zod';

export const deliveryStateSchema = z.enum(['pending', 'in_flight', 'sent', 'failed', 'dead']);
export type DeliveryState = z.infer<typeof deliveryStateSchema>;

/** A delivery as listed by `deliveries list`, tests, `send-test` and diagnostics. */
export interface DeliveryListing {
  id: number;
  incidentId: string;
  /** The Application, as namespace/name. */
  app: string;
  target: string;
  kind: string;
  state: DeliveryState;
  attempts: number;
  ref: string | null;
  lastError: string | null;
  /** Last change of its state (ms since the epoch). */
  updatedAt: number;
  /** Its last replay (`deliveries retry`): when (ms) and who asked; null when never replayed. */
  replayedAt: number | null;
  replayedBy: string | null;
}

/** A whole number read back from either store (PostgreSQL's BIGINT and COUNT(*) arrive as strings). */
export const int = z.coerce.number().int();

/** A `deliveries` row (with its incident's app) as both adapters select it for listDeliveries. */
export const deliveryListingRowSchema = z.object({
  id: int,
  incident_id: z.string(),
  app_namespace: z.string(),
  app_name: z.string(),
  target: z.string(),
  kind: z.string(),
  state: deliveryStateSchema,
  attempts: int,
  ref: z.string().nullable(),
  last_error: z.string().nullable(),
  updated_at: int,
  replayed_at: int.nullable(),
  replayed_by: z.string().nullable(),
});

/**
 * The SELECT of listDeliveries, the same on both adapters, for rows matching `where` (a condition on `d`,
 * the deliveries, with the adapter's placeholders), or every row when null.
 */
export function listDeliveriesSql(where: string | null): string {
  return `SELECT d.id, d.incident_id, i.app_namespace, i.app_name, d.target, d.kind, d.state, d.attempts, d.ref, d.last_error,
                 d.updated_at, d.replayed_at, d.replayed_by
          FROM deliveries d JOIN incidents i ON i.id = d.incident_id
          ${where === null ? '' : `WHERE ${where}`}
          ORDER BY d.id`;
}

/** A listed row as callers see it. */
export function toDeliveryListing(row: z.infer<typeof deliveryListingRowSchema>): DeliveryListing {
  return {
    id: row.id,
    incidentId: row.incident_id,
    app: `${row.app_namespace}/${row.app_name}`,
    target: row.target,
    kind: row.kind,
    state: row.state,
    attempts: row.attempts,
    ref: row.ref,
    lastError: row.last_error,
    updatedAt: row.updated_at,
    replayedAt: row.replayed_at,
    replayedBy: row.replayed_by,
  };
}

/** The states a delivery may be replayed from: it ended without being sent. */
