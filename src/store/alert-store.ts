/**
 * The store at the bottom of the one-way flow, as its callers (intake, worker, enrichment, probes) see it.
 * Two adapters implement it: SqliteStore (embedded, one process, synchronous calls) and PgStore
 * (PostgreSQL, several replicas, every call a round trip). Results are `Awaitable` so that SQLite's
 * calls stay synchronous (the same behaviour and timing as before, and its tests read results directly)
 * while PostgreSQL's return promises; callers always `await`.
 */
import { z } from 'zod';
import type { HookEvent } from '../model/hook-event.js';
import type { AlertReport } from '../model/job-report.js';
import type { Finding } from '../model/finding.js';
import type { DeliveryKind } from '../model/alert.js';
import type { EmailAttemptLog } from '../model/email-attempt.js';
import type { AcceptResult } from './event-acceptance.js';
import type { CaptureRecord, CaptureSnapshot } from '../model/capture-snapshot.js';
import type { IncidentDetail, IncidentFilter, IncidentPage } from './incident-reads.js';
import type { DeliveryListing, DeliveryState } from './delivery-listing.js';

export type { AcceptResult } from './event-acceptance.js';
export { deliveryStateSchema, deliveryListingRowSchema, listDeliveriesSql, toDeliveryListing } from './delivery-listing.js';
export type { DeliveryListing, DeliveryState } from './delivery-listing.js';

/** A value now (SQLite) or later (PostgreSQL). */
export type Awaitable<T> = T | Promise<T>;

/** The kinds of delivery a stored row may hold (DeliveryKind, checked when read back). */
export const deliveryKindSchema = z.union([
  z.enum(['failed', 'stuck', 'blocked', 'skipped', 'resolved']),
  z.templateLiteral(['retrying:', z.number().int()]),
]) satisfies z.ZodType<DeliveryKind>;


/** An accepted event waiting for enrichment and routing. */
export interface PendingEvent {
  id: number;
  incidentId: string;
  event: HookEvent;
  /** Enrichments of it that started and never finished: each one was cut short by the process ending. */
  enrichAttempts: number;
  /** Of those, the ones that ran alone: the process ended while only this event was being enriched. */
  enrichSoloAttempts: number;
}

/** A delivery claimed by the worker, with what its sink needs. */
export interface ClaimedDelivery {
  id: number;
  incidentId: string;
  target: string;
  kind: DeliveryKind;
  attempts: number;
  createdAt: number;
  /** Where its age (worker.retry.maxAgeMs) counts from: its creation, or its last replay (`deliveries retry`). */
  ageFrom: number;
  /** It was in flight when its lease ran out: a crash or a hang may have sent it already. */
  resumed: boolean;
  /** When the first attempt started (ms): no earlier send of this delivery can exist. */
  firstAttemptAt: number;
  event: HookEvent;
  report: AlertReport | null;
  findings: Finding[];
  threadRootRef: string | null;
}

export interface NewDelivery {
  incidentId: string;
  target: string;
  kind: DeliveryKind;
}

export const REPLAYABLE_STATES: readonly DeliveryState[] = ['dead', 'failed'];

/**
 * What `replayDelivery` did: put the delivery back (as it is listed now), or nothing, because no delivery
 * has that id or its state is not one to replay from.
 */
export type ReplayResult =
  | { status: 'replayed'; delivery: DeliveryListing }
  | { status: 'unknown' }
  | { status: 'not_replayable'; state: DeliveryState };

/** Snapshots of hook pods (table `captures`) with their expiry and size cap. */
export interface CaptureRepository {
  /** Store (or replace) the snapshot of a pod and enforce the size cap; returns the bytes stored. */
  save(cluster: string, jobName: string, snapshot: CaptureSnapshot, now: number): Awaitable<number>;
  /** A snapshot of this pod exists (and has not expired). */
  has(cluster: string, podUid: string, now: number): Awaitable<boolean>;
  /** Snapshots of a Job's pods (every attempt under that name), newest first. */
  forJob(cluster: string, namespace: string, jobName: string, now: number, limit?: number): Awaitable<CaptureRecord[]>;
  /** Number of snapshots and their total size (metrics, tests). */
  stats(): Awaitable<{ count: number; bytes: number }>;
}

/** Which adapter a store is: logs, `validate config` and readiness messages name it. */
export type StoreKind = 'sqlite' | 'postgres';

/**
 * Every accepted event is committed before intake answers 202; the worker claims work from here with
 * leases so that a crash at any point loses nothing. Method semantics are SqliteStore's (its doc comments);
 * PgStore keeps them across replicas.
 */
export interface AlertStore {
  readonly kind: StoreKind;
  /** Where the data lives, for logs: a file path or a URL without its password. */
  readonly location: string;
  schemaVersion(): Awaitable<number>;
  acceptEvent(event: HookEvent, dedupeKey: string, now: number): Awaitable<AcceptResult>;
  acceptEvents(batch: readonly { event: HookEvent; dedupeKey: string; now: number }[]): Awaitable<AcceptResult[]>;
  pendingEvents(limit: number, except?: readonly number[]): Awaitable<PendingEvent[]>;
  markEnrichmentStarted(eventId: number, solo: boolean): Awaitable<void>;
  markEnrichmentShared(eventId: number): Awaitable<void>;
  markEnrichmentAbandoned(eventId: number, solo: boolean): Awaitable<void>;
  incidentsResolvedBy(eventId: number): Awaitable<string[]>;
  targetsOfIncident(incident: string): Awaitable<string[]>;
  routeEvent(eventId: number, report: AlertReport | null, findings: Finding[], deliveries: NewDelivery[], now: number): Awaitable<void>;
  claimDueDeliveries(now: number, limit: number, leaseMs: number): Awaitable<ClaimedDelivery[]>;
  /** At start-up: hand back leases a dead predecessor held (what that means differs per adapter). */
  releaseLeases(now: number): Awaitable<number>;
  markSent(id: number, ref: string | null, now: number): Awaitable<void>;
  markRetry(id: number, error: string, nextAttemptAt: number, now: number): Awaitable<void>;
  markGivenUp(id: number, state: 'failed' | 'dead', error: string, now: number): Awaitable<void>;
  queueDepth(): Awaitable<{ events: number; deliveries: number }>;
  /** When the oldest delivery not finished yet was queued (or replayed), in ms; null when none waits. */
  oldestUnfinishedDelivery(): Awaitable<number | null>;
  /** Deliveries in id order, only those in `state` when given. */
  listDeliveries(state?: DeliveryState): Awaitable<DeliveryListing[]>;
  /**
   * Put a dead or failed delivery back to pending, due at `now`, its attempts kept, recording who asked and
   * when; its age (worker.retry.maxAgeMs) counts from `now` on. One statement: a worker never sees half of it.
   */
  replayDelivery(id: number, by: string, now: number): Awaitable<ReplayResult>;
  /** Incidents newest first, filtered and paged (the incident page's list). */
  listIncidents(filter: IncidentFilter): Awaitable<IncidentPage>;
  /** One incident with its events (reports, findings) and deliveries; null when unknown (or swept). */
  incidentDetail(id: string): Awaitable<IncidentDetail | null>;
  /** The incident a delivery belongs to, by its key alone (the replay's check); null when unknown (or swept). */
  deliveryIncidentId(deliveryId: number): Awaitable<string | null>;
  /** Fails when the database cannot take a write (or cannot be reached): readiness uses it. */
  checkWritable(): Awaitable<void>;
  sweep(now: number, retentionMs: number): Awaitable<number>;
  captureStore(opts: { ttlMs: number; maxTotalBytes: number }): CaptureRepository;
  emailAttempts(): EmailAttemptLog;
  close(): Awaitable<void>;
}
