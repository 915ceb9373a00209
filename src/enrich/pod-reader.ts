import type { KubeClient } from '../kube/kube-client.js';
import { explainKubeFailure, KubeCallError } from '../kube/kube-failure.js';
import type { KubePod } from '../kube/kube-objects.js';
import type { EnrichBounds } from './enrich-config.js';
import type { LogTail, PodReport } from '../model/job-report.js';
import type { Limiter } from '../kube/limiter.js';
import { planLogRead, toLogTail, toPodReport } from './report-mapping.js';
import type { Scrubber } from '../scrub/scrub.js';

/** A container log that could not be read live, with the classified error. */
export interface LogFailure {
  container: string;
  error: KubeCallError;
}

/** Where to find a log when the live read fails: a capture of the same pod. */
export type LogFallback = (podUid: string | null, container: string) => { log: LogTail; capturedAt: string } | null;

/**
 * Read one pod's report with the log tail of every container that ran (init containers included,
 * previous run when a container restarted). Log failures are recorded per container, never thrown.
 */
export async function readPodReport(
  client: KubeClient,
  pod: KubePod,
  ctx: {
    bounds: Pick<EnrichBounds, 'tailLines' | 'maxLogBytesPerContainer'>;
    scrub: Scrubber;
    limit: Limiter;
    signal: AbortSignal;
    fallback?: LogFallback;
  },
): Promise<{ pod: PodReport; failures: LogFailure[] }> {
  const report = toPodReport(pod);
  const namespace = report.namespace;
  const failures: LogFailure[] = [];
  await Promise.all(
    report.containers.map(async (c) => {
      const plan = planLogRead(c);
      if ('unavailable' in plan) {
        c.logUnavailable = plan.unavailable;
        return;
      }
      try {
        const raw = await ctx.limit(() =>
          client.readLogTail(
            namespace,
            report.name,
            c.name,
            { tailLines: ctx.bounds.tailLines, limitBytes: ctx.bounds.maxLogBytesPerContainer, previous: plan.previous },
            ctx.signal,
          ),
        );
        c.log = toLogTail(raw, { tailLines: ctx.bounds.tailLines, previous: plan.previous }, ctx.scrub);
      } catch (err) {
        const error = err instanceof KubeCallError ? err : new KubeCallError('unreachable', String(err));
        const captured = ctx.fallback?.(report.uid, c.name) ?? null;
        if (captured !== null) {
          c.log = captured.log;
          c.logUnavailable = null;
          return;
        }
        failures.push({ container: c.name, error });
        c.logUnavailable =
          error.kind === 'not-found'
            ? 'the pod was deleted before its log could be read'
            : explainKubeFailure(error, { cluster: client.clusterId, access: { verb: 'get', resource: 'pods/log', namespace } });
      }
    }),
  );
  return { pod: report, failures };
}
