import type { KubeClient } from '../kube/kube-client.js';
import { explainKubeFailure, KubeCallError } from '../kube/kube-failure.js';
import type { KubeJob, KubePod } from '../kube/kube-objects.js';
import { HELM_OUTPUT_LOG_POLICY, logsWanted } from '../model/hook-annotations.js';
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
    /** Set: no log is read, and this says why (the hook's helm.sh/hook-output-log-policy). */
    logsOff?: string | null;
  },
): Promise<{ pod: PodReport; failures: LogFailure[] }> {
  const report = toPodReport(pod);
  const namespace = report.namespace;
  const failures: LogFailure[] = [];
  await Promise.all(
    report.containers.map(async (c) => {
      const plan = planLogRead(c);
      if (ctx.logsOff != null) {
        c.logUnavailable = ctx.logsOff;
        return;
      }
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

/**
 * Why a hook's logs are not read for this outcome, or null when they are: Helm's
 * helm.sh/hook-output-log-policy names the outcomes whose logs the chart author wants (HIP-0019).
 */
export function logsOffReason(job: KubeJob | null, outcome: 'succeeded' | 'failed'): string | null {
  if (job === null || logsWanted(job.metadata.annotations, outcome)) return null;
  const policy = job.metadata.annotations[HELM_OUTPUT_LOG_POLICY];
  return `not read: the hook's ${HELM_OUTPUT_LOG_POLICY} (${policy ?? 'unset'}) does not ask for the logs of a ${outcome} hook`;
}

/** The report without its logs, each container saying why (a capture taken before the Job was known). */
export function withoutLogs(report: PodReport, reason: string): PodReport {
  return { ...report, containers: report.containers.map((c) => ({ ...c, log: null, logUnavailable: reason })) };
}
