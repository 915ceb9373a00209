/**
 * A service on a Kubernetes API test server, writing its alerts to a file outbox: the setup of the tests
 * of the alerts the service raises from the cluster (hook-blocked, hook-skipped, hook failed while the sync
 * runs, Helm hooks).
 */
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { KubeApiServer } from './kube-api-server.js';
import type { Test } from 'tap';

/** The config of a service that reads `kube` and writes alerts under `<dir>/outbox`; `kubernetes` adds settings. */
export function clusterServiceConfig(o: { dir: string; kube: KubeApiServer; token: string; kubernetes?: Record<string, unknown> }): Config {
  return configSchema.parse({
    dataDir: o.dir,
    server: { host: '127.0.0.1', port: 0, token: o.token },
    worker: { pollIntervalMs: 20 },
    kubernetes: {
      enabled: 'true',
      clusters: [{ server: 'https://kubernetes.default.svc', kubeconfig: o.kube.writeKubeconfig(o.dir) }],
      bounds: { callTimeoutMs: 60_000, deadlineMs: 120_000 },
      ...o.kubernetes,
    },
    file: { enabled: 'true', dir: outboxOf(o.dir) },
  });
}

/** Where `clusterServiceConfig` writes alerts. */
export function outboxOf(dir: string): string {
  return join(dir, 'outbox');
}

/** The files of the outbox that end in `ext` (Slack messages by default), relative to it. */
export function outboxFiles(outbox: string, ext = '.slack.json'): string[] {
  if (!existsSync(outbox)) return [];
  return readdirSync(outbox, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext));
}

/** A Kubernetes API test server closed with the test, and a directory for the service's data and outbox. */
export async function clusterTestbed(t: Test): Promise<{ kube: KubeApiServer; dir: string; outbox: string }> {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir();
  return { kube, dir, outbox: outboxOf(dir) };
}
