import type { Logger } from 'pino';
import type { HookEvent } from '../model/hook-event.js';
import type { AcceptResult, Awaitable } from '../store/alert-store.js';

/** Where the events the service raises itself go: the store's accept path and the worker's wake-up. */
export interface RaisedEventIntake {
  /** The store's accept path, the same dedupe as intake's. */
  accept: (event: HookEvent, dedupeKey: string, now: number) => Awaitable<AcceptResult>;
  /** Wake the worker after a new event. */
  onAccepted: () => void;
  logger: Logger;
}

/**
 * Store an event the service raised itself (a hook watcher, the Application backstop) with intake's dedupe;
 * a new one is logged with `saying` and wakes the worker. A duplicate (the webhook, another replica or a run
 * before a restart stored it first) has nothing new for the worker: it wakes nothing and is logged at debug.
 */
export async function acceptRaisedEvent(intake: RaisedEventIntake, event: HookEvent, dedupeKey: string, now: number, saying: string): Promise<AcceptResult> {
  const result = await intake.accept(event, dedupeKey, now);
  const fields = { app: `${event.app.namespace}/${event.app.name}`, hook: event.hooks[0]?.name, recipient: event.recipient, startedAt: event.operation?.startedAt };
  if ('ignored' in result || result.duplicate) {
    intake.logger.debug({ ...fields, result }, `${saying}: already stored or not alerting, nothing new for the worker`);
    return result;
  }
  intake.logger.warn({ ...fields, incident: result.incidentId }, saying);
  intake.onAccepted();
  return result;
}
