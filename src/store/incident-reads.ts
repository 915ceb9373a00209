/**
 * The incident page's reads (`listIncidents`, `incidentDetail`), the same SQL on both adapters: each passes
 * its own placeholders and its way of reading a JSON field of a TEXT column.
 */
import { z } from 'zod';
import { hookEventSchema, type HookEvent } from '../model/hook-event.js';
import { alertReportSchema, type AlertReport } from '../model/job-report.js';
import { findingSchema, type Finding } from '../model/finding.js';
import { deliveryListingRowSchema, int, toDeliveryListing, type DeliveryListing } from './delivery-listing.js';

export const incidentStateSchema = z.enum(['open', 'resolved']);
export type IncidentState = z.infer<typeof incidentStateSchema>;

/** Which incidents `listIncidents` returns: newest first, `limit` of them after skipping `offset`. */
export interface IncidentFilter {
  /** An Application name, or namespace/name. */
  app?: string;
  project?: string;
  state?: IncidentState;
  limit: number;
  offset: number;
}

/** One incident as the list shows it. */
export interface IncidentSummary {
  id: string;
  appNamespace: string;
  appName: string;
  /** When the failed operation started (Argo CD's operationState.startedAt). */
  startedAt: string;
  state: IncidentState;
  createdAt: number;
  updatedAt: number;
  resolvedAt: number | null;
  /** Its latest event that is not the resolution (what went wrong, last). */
  lastEvent: HookEvent;
  /** The diagnosis routed with that event (empty before routing or when nothing matched). */
  findings: Finding[];
  /** Its deliveries that ended unsent (dead or failed). */
  unsentDeliveries: number;
}

/** A page of incidents, and whether more follow. */
export interface IncidentPage {
  incidents: IncidentSummary[];
  more: boolean;
}

/** One accepted event of an incident, with what enrichment and diagnosis made of it. */
export interface IncidentEventRecord {
  id: number;
  state: 'pending' | 'routed';
  receivedAt: number;
  routedAt: number | null;
  event: HookEvent;
  report: AlertReport | null;
  findings: Finding[];
}

/** A delivery of an incident with its whole history as the store keeps it. */
export interface IncidentDelivery extends DeliveryListing {
  createdAt: number;
  sentAt: number | null;
  firstAttemptAt: number | null;
}

/** Everything the store knows about one incident: the incident page's data. */
export interface IncidentDetail {
  summary: IncidentSummary;
  /** In arrival order. */
  events: IncidentEventRecord[];
  /** In id order. */
  deliveries: IncidentDelivery[];
}

/** How an adapter writes the n-th placeholder (1-based) and reads a JSON text field. */
export interface SqlDialect {
  placeholder(n: number): string;
  /** The SQL of the text at `path` (e.g. ['app', 'project']) in the JSON text column `column`. */
  jsonText(column: string, path: readonly string[]): string;
}

export const SQLITE_DIALECT: SqlDialect = {
  placeholder: () => '?',
  jsonText: (column, path) => `json_extract(${column}, '$.${path.join('.')}')`,
};

export const POSTGRES_DIALECT: SqlDialect = {
  placeholder: (n) => `$${n}`,
  jsonText: (column, path) => `(${column}::jsonb #>> '{${path.join(',')}}')`,
};


export const incidentSummaryRowSchema = z.object({
  id: z.string(),
  app_namespace: z.string(),
  app_name: z.string(),
  started_at: z.string(),
  state: incidentStateSchema,
  created_at: int,
  updated_at: int,
  resolved_at: int.nullable(),
  last_event_json: z.string().nullable(),
  findings_json: z.string().nullable(),
  unsent: int,
});
export type IncidentSummaryRow = z.infer<typeof incidentSummaryRowSchema>;

export const incidentEventRowSchema = z.object({
  id: int,
  state: z.enum(['pending', 'routed']),
  received_at: int,
  routed_at: int.nullable(),
  event_json: z.string(),
  report_json: z.string().nullable(),
  findings_json: z.string().nullable(),
});
export type IncidentEventRow = z.infer<typeof incidentEventRowSchema>;

export const incidentDeliveryRowSchema = deliveryListingRowSchema.extend({
  created_at: int,
  sent_at: int.nullable(),
  first_attempt_at: int.nullable(),
});
export type IncidentDeliveryRow = z.infer<typeof incidentDeliveryRowSchema>;

const SUMMARY_COLUMNS = `i.id, i.app_namespace, i.app_name, i.started_at, i.state, i.created_at, i.updated_at, i.resolved_at,
  (SELECT e.event_json FROM events e WHERE e.incident_id = i.id AND e.kind <> 'sync-succeeded' ORDER BY e.id DESC LIMIT 1) AS last_event_json,
  (SELECT e.findings_json FROM events e WHERE e.incident_id = i.id AND e.kind <> 'sync-succeeded' AND e.findings_json IS NOT NULL
   ORDER BY e.id DESC LIMIT 1) AS findings_json,
  (SELECT COUNT(*) FROM deliveries d WHERE d.incident_id = i.id AND d.state IN ('dead', 'failed')) AS unsent`;

/** The SELECT of listIncidents and its parameters (one row more than `limit`: whether a next page exists). */
export function listIncidentsQuery(dialect: SqlDialect, filter: IncidentFilter): { sql: string; params: unknown[] } {
  // An incident of successful syncs only (born resolved so that its hook Jobs are checked for skipped
  // runs) alerted nobody: every deploy would fill the list. One that warned has a hook-skipped event.
  const where: string[] = [`EXISTS (SELECT 1 FROM events e WHERE e.incident_id = i.id AND e.kind <> 'sync-succeeded')`];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  if (filter.app !== undefined) {
    const slash = filter.app.indexOf('/');
    if (slash >= 0) where.push(`i.app_namespace = ${param(filter.app.slice(0, slash))} AND i.app_name = ${param(filter.app.slice(slash + 1))}`);
    else where.push(`i.app_name = ${param(filter.app)}`);
  }
  if (filter.state !== undefined) where.push(`i.state = ${param(filter.state)}`);
  if (filter.project !== undefined) {
    where.push(`EXISTS (SELECT 1 FROM events e WHERE e.incident_id = i.id AND ${dialect.jsonText('e.event_json', ['app', 'project'])} = ${param(filter.project)})`);
  }
  const sql = `SELECT ${SUMMARY_COLUMNS} FROM incidents i
    WHERE ${where.join(' AND ')}
    ORDER BY i.created_at DESC, i.id DESC LIMIT ${param(filter.limit + 1)} OFFSET ${param(filter.offset)}`;
  return { sql, params };
}

/** The SELECT of one incident's summary row (placeholder 1: its id). */
export function incidentSummarySql(dialect: SqlDialect): string {
  return `SELECT ${SUMMARY_COLUMNS} FROM incidents i WHERE i.id = ${dialect.placeholder(1)}`;
}

/** The SELECT of an incident's events (placeholder 1: its id). */
export function incidentEventsSql(dialect: SqlDialect): string {
  return `SELECT id, state, received_at, routed_at, event_json, report_json, findings_json FROM events
          WHERE incident_id = ${dialect.placeholder(1)} ORDER BY id`;
}

/** The SELECT of an incident's deliveries (placeholder 1: its id). */
export function incidentDeliveriesSql(dialect: SqlDialect): string {
  return `SELECT d.id, d.incident_id, i.app_namespace, i.app_name, d.target, d.kind, d.state, d.attempts, d.ref, d.last_error,
                 d.updated_at, d.replayed_at, d.replayed_by, d.created_at, d.sent_at, d.first_attempt_at
          FROM deliveries d JOIN incidents i ON i.id = d.incident_id
          WHERE d.incident_id = ${dialect.placeholder(1)} ORDER BY d.id`;
}

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const result = schema.safeParse(JSON.parse(text));
  if (!result.success) throw new Error(`stored ${what} does not match this build's schema: ${result.error.message}`);
  return result.data;
}

const findingsSchema = z.array(findingSchema);

/** A summary row as callers see it; null for an incident without any event (none is kept so). */
export function toIncidentSummary(row: IncidentSummaryRow): IncidentSummary | null {
  if (row.last_event_json === null) return null;
  return {
    id: row.id,
    appNamespace: row.app_namespace,
    appName: row.app_name,
    startedAt: row.started_at,
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    resolvedAt: row.resolved_at,
    lastEvent: parseJson(hookEventSchema, row.last_event_json, `event of incident ${row.id}`),
    findings: row.findings_json === null ? [] : parseJson(findingsSchema, row.findings_json, `findings of incident ${row.id}`),
    unsentDeliveries: row.unsent,
  };
}

/** A page of summary rows (fetched with one row more than `limit`). */
export function toIncidentPage(rows: readonly IncidentSummaryRow[], limit: number): IncidentPage {
  const incidents = rows.slice(0, limit).map(toIncidentSummary).filter((s): s is IncidentSummary => s !== null);
  return { incidents, more: rows.length > limit };
}

/** The detail of an incident from its rows; null when no such incident exists. */
export function toIncidentDetail(
  summary: IncidentSummaryRow | undefined,
  events: readonly IncidentEventRow[],
  deliveries: readonly IncidentDeliveryRow[],
): IncidentDetail | null {
  const found = summary === undefined ? null : toIncidentSummary(summary);
  if (found === null) return null;
  return {
    summary: found,
    events: events.map((row) => ({
      id: row.id,
      state: row.state,
      receivedAt: row.received_at,
      routedAt: row.routed_at,
      event: parseJson(hookEventSchema, row.event_json, `event ${row.id}`),
      report: row.report_json === null ? null : parseJson(alertReportSchema, row.report_json, `report of event ${row.id}`),
      findings: row.findings_json === null ? [] : parseJson(findingsSchema, row.findings_json, `findings of event ${row.id}`),
    })),
    deliveries: deliveries.map((row) => ({
      ...toDeliveryListing(row),
      createdAt: row.created_at,
      sentAt: row.sent_at,
      firstAttemptAt: row.first_attempt_at,
    })),
  };
}
