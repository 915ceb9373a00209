import type { HookEvent } from './hook-event.js';
import type { AlertReport } from './job-report.js';
import type { Finding } from './finding.js';
import type { DeliveryKind } from './alert.js';
import type { RouteOptions } from './sink.js';

/** Enrich stage: reads the cluster for the event's hooks; never throws for a cluster problem (it reports it). */
export interface Enricher {
  enrich(event: HookEvent, opts: { signal: AbortSignal }): Promise<AlertReport>;
}

/** Diagnose stage: a pure function from the report to at most three findings, most specific first. */
export type Diagnoser = (report: AlertReport) => Finding[];

/** Route stage: where an event's alerts go, and how the message of each delivery looks. */
export interface Router {
  /** The delivery targets (`<sink>:<address>`) for an event. */
  targets(event: HookEvent): string[];
  /** The options of one delivery to `target`: its kind and thread decide whether its mentions page. */
  options(event: HookEvent, target: string, delivery: { kind: DeliveryKind; threadRootRef: string | null }): RouteOptions;
}
