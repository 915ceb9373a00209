import type { FastifyPluginAsync } from 'fastify';
import { describeError } from '../errors.js';
import type { AlertStore } from '../store/alert-store.js';

/** Readiness of the parts behind intake; each failing check names itself. */
export type ReadinessCheck = () => { ok: true } | { ok: false; reason: string };

/** What the probes read: the store's writability, further readiness checks, and liveness detail. */
export interface HealthRoutesOptions {
  store: Pick<AlertStore, 'checkWritable' | 'kind'>;
  /** Checked after the store, in order; every failure is reported. */
  readiness: readonly ReadinessCheck[];
  /** Liveness for /healthz: the detail is reported; not alive answers 503 so that the kubelet restarts the pod. */
  health?: () => Promise<{ alive: boolean; detail: Record<string, unknown> }>;
}

/** GET /healthz (alive, with detail) and GET /readyz (can accept webhooks, else 503 with the reasons). */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, opts) => {
  // A probe every few seconds per pod would bury the log at info; the kubelet records a failing one in the pod's events.
  app.get('/healthz', { logLevel: 'warn' }, async (_req, reply) => {
    const health = (await opts.health?.()) ?? { alive: true, detail: {} };
    if (!health.alive) return reply.code(503).send({ status: 'not alive', ...health.detail });
    return { status: 'ok', ...health.detail };
  });

  app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
    const failures: string[] = [];
    try {
      await opts.store.checkWritable();
    } catch (err) {
      // PgStore's errors already say "database unreachable: ...".
      failures.push(opts.store.kind === 'postgres' ? describeError(err) : `store not writable: ${describeError(err)}`);
    }
    for (const check of opts.readiness) {
      const verdict = check();
      if (!verdict.ok) failures.push(verdict.reason);
    }
    if (failures.length > 0) return reply.code(503).send({ status: 'not ready', reasons: failures });
    return { status: 'ready' };
  });
};
