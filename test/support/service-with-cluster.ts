import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { KubeApiServer } from './kube-api-server.js';
import { waitUntil } from './service-http.js';
import { configSchema } from '../../src/config/schema.js';
import { startService } from '../../src/main.js';

const TOKEN = 'service-with-cluster-token-0123456789';

/** A running service whose in-cluster destination is the Kubernetes API test server, alerts to a file outbox. */
export interface ServiceWithCluster {
  /** POST a body to the events route; the status and the JSON answer. */
  post: (body: unknown) => Promise<{ status: number; body: Record<string, unknown> }>;
  /** The Slack JSON of the first alert in the outbox whose text satisfies `match`, once it is there. */
  alert: (what: string, match: (text: string) => boolean) => Promise<string>;
}

/** Start the service on `kube` with `hookTypes` alerting, closed at the end of test `t`. */
export async function serviceWithCluster(
  t: { teardown(fn: () => unknown): void },
  kube: KubeApiServer,
  dir: string,
  hookTypes: string[] = ['PreSync'],
): Promise<ServiceWithCluster> {
  const outbox = join(dir, 'outbox');
  const config = configSchema.parse({
    dataDir: dir,
    server: { host: '127.0.0.1', port: 0, token: TOKEN },
    worker: { pollIntervalMs: 20 },
    hooks: { types: hookTypes },
    kubernetes: {
      enabled: 'true',
      clusters: [{ server: 'https://kubernetes.default.svc', kubeconfig: kube.writeKubeconfig(dir) }],
      // Bounds on a hang only: a loaded machine must not cut the enrichment short.
      bounds: { callTimeoutMs: 60_000, deadlineMs: 120_000 },
    },
    file: { enabled: 'true', dir: outbox },
  });
  const service = await startService(config, pino({ level: 'silent' }));
  t.teardown(() => service.close());
  const files = (): string[] =>
    existsSync(outbox) ? readdirSync(outbox, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.slack.json')) : [];
  return {
    post: async (body) => {
      const res = await fetch(`${service.url}/v1/argocd/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    alert: async (what, match) => {
      let text: string | undefined;
      await waitUntil(what, () => {
        text = files()
          .map((f) => readFileSync(join(outbox, f), 'utf8'))
          .find(match);
        return text !== undefined;
      }, { intervalMs: 10 });
      return text ?? '';
    },
  };
}
