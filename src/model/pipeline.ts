import type { HookEvent } from './hook-event.js';
import type { AlertReport } from './job-report.js';
import type { Finding } from './finding.js';

/** Enrich stage: reads the cluster for the event's hooks; never throws for a cluster problem (it reports it). */
export interface Enricher {
  enrich(event: HookEvent, opts: { signal: AbortSignal }): Promise<AlertReport>;
}

/** Diagnose stage: a pure function from the report to at most three findings, most specific first. */
export type Diagnoser = (report: AlertReport) => Finding[];

/** Route stage: the delivery targets (`<sink>:<address>`) for an event. */
export type Router = (event: HookEvent) => string[];
