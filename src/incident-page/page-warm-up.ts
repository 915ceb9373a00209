import { setImmediate as turn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AlertStore } from '../store/alert-store.js';
import { renderIncidentList, renderIncidentPage } from './incident-html.js';

/**
 * Read and render the newest stored incident's page once, as a request would, so that V8 has compiled the
 * page's code (the store's reads, the stored JSON's schemas, the renderers) before the first viewer opens
 * one, who otherwise waits for that compilation. Each step waits for a turn of the event loop first, so
 * that webhooks and probes arriving meanwhile are answered in between. A failure is logged, never thrown:
 * the first request then compiles the code itself. An empty store has nothing to read: nothing is warmed.
 * Once `closing` is aborted (the server closes, the store next), it stops and says nothing.
 */
export async function warmIncidentPage(store: AlertStore, logger: Pick<Logger, 'warn' | 'debug'>, now: number, closing: AbortSignal): Promise<void> {
  // Each step after a turn of the event loop, and none once the server closes.
  const goOn = async (): Promise<boolean> => {
    await turn();
    return !closing.aborted;
  };
  try {
    if (!(await goOn())) return;
    const newest = await store.listIncidents({ limit: 1, offset: 0 });
    renderIncidentList(newest, { page: 1 });
    const [incident] = newest.incidents;
    if (incident === undefined) return;
    if (!(await goOn())) return;
    const detail = await store.incidentDetail(incident.id);
    if (detail === null) return;
    if (!(await goOn())) return;
    const replayForms = new Map(detail.deliveries.map((d) => [d.id, { token: '', expires: now }]));
    renderIncidentPage(detail, { linkQuery: '', replayForms, viewer: 'warm-up', notice: null, now });
    logger.debug({ incident: incident.id }, 'incident page code warmed on the newest incident');
  } catch (err) {
    if (closing.aborted) return;
    logger.warn({ err }, 'warming the incident page failed: its first request compiles the page code instead (no effect on alerts)');
  }
}
