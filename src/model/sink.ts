import type { Alert } from './alert.js';

/**
 * Outcome of one send (OpenTelemetry `ExportResponse`): adapters map their protocol's answers to these and
 * never throw for a delivery problem; the worker alone decides about backoff and persistence.
 */
export type SinkOutcome =
  | { status: 'sent'; ref: string | null }
  | { status: 'retryable'; retryInMs?: number; error: string }
  | { status: 'failed'; error: string };

/** How the message of one delivery looks: decided once, by routing, and rendered as given by every sink. */
export interface RouteOptions {
  /** Slack control sequences (`<!subteam^ID>`, `<@U…>`) to put in front of this message; empty where it must not page. */
  mentions: string[];
  /** false: summary and link only, no log body. */
  logs: boolean;
}

/** One delivery as a sink sees it. */
export interface DeliveryContext {
  deliveryId: number;
  /** Address within the sink: a Slack channel, an email address, the outbox. */
  address: string;
  attempt: number;
  alert: Alert;
  /** ref (Slack ts, email Message-ID, file path) of the incident's first sent delivery to this target. */
  threadRootRef: string | null;
  /**
   * The delivery was in flight when its lease ran out (a crash or a hang between send and record): the sink
   * must look for its own earlier send before sending again.
   */
  resumed: boolean;
  /** When this delivery's first attempt started (ms since the epoch): an earlier send is not older. */
  firstAttemptAt: number;
  /** What routing decided for this message: mentions and whether logs go along. */
  route: RouteOptions;
}

export type SinkName = 'file' | 'slack' | 'email';

/** A delivery adapter (Slack, SMTP, file). */
export interface Sink {
  readonly name: SinkName;
  send(ctx: DeliveryContext): Promise<SinkOutcome>;
  close(): Promise<void>;
}

/** A delivery target as stored: `<sink>:<address>`. */
export function formatTarget(sink: SinkName, address: string): string {
  return `${sink}:${address}`;
}

/** Split a stored target into sink and address. */
export function parseTarget(target: string): { sink: SinkName; address: string } {
  const i = target.indexOf(':');
  const sink = target.slice(0, i);
  if (i < 0 || (sink !== 'file' && sink !== 'slack' && sink !== 'email')) {
    throw new Error(`delivery target ${JSON.stringify(target)} names no known sink (file, slack, email)`);
  }
  return { sink, address: target.slice(i + 1) };
}
