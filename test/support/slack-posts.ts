import type { SlackApiServer } from './slack-api-server.js';

/**
 * How many top-level messages (an incident's root post) the Slack test server holds per incident, read
 * from the message metadata the Slack sink attaches: what "delivered exactly once" is counted on.
 */
export function rootPostsPerIncident(server: SlackApiServer): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of server.messages) {
    const incident = m.metadata?.event_payload.incident;
    if (m.thread_ts !== null || typeof incident !== 'string') continue;
    counts.set(incident, (counts.get(incident) ?? 0) + 1);
  }
  return counts;
}
