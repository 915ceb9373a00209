import { BENCH_TOKEN } from './spawn-server.js';

/** POST a webhook body to a bench service; returns the incident id of the 202 (anything else throws). */
export async function postEvent(url: string, body: unknown): Promise<string> {
  const res = await fetch(`${url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { incident?: string };
  if (res.status !== 202 || typeof json.incident !== 'string') throw new Error(`HTTP ${res.status}: ${JSON.stringify(json)}`);
  return json.incident;
}
