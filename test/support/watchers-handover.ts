import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiServer } from './kube-api-server.js';
import { hookJob, jobPod, states } from './kube-fixtures.js';
import { waitUntil } from './service-http.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';
import type { TestLike } from './worker-harness.js';

const HOLDS = 'holds the watchers Lease: this replica runs the capture and stuck-hook watchers';
const CAPTURED = 'captured hook pod state and logs';
const NAMESPACE = 'argocd-hook-alerts';
const LEASE = 'argocd-hook-alerts-watchers';

/** What one handover showed. */
export interface HandoverResult {
  /** The replica that held the Lease first, and the one that took it over. */
  first: string;
  second: string;
  /** From the SIGKILL of the holder (when the hook pod failed too) to the survivor's capture of that pod. */
  killToCaptureMs: number;
  /** From the SIGKILL to the survivor's log line saying it holds the Lease. */
  killToLeadMs: number;
  /** The Lease's holder once the pod was captured, as the API server stores it. */
  holderAtEnd: string | null;
  /** The survivor's capture log line. */
  capture: Record<string, unknown>;
}

/**
 * Two `serve` replicas elect the watchers' holder through a Lease on the Kubernetes API test server.
 * The holder is SIGKILLed at the moment a hook pod fails; the survivor must take the Lease over once it
 * expires and capture the failed pod. Lease timings: `leaseSeconds` (renew deadline 2/3 of it, retry 1/6).
 */
export async function watchersHandover(t: TestLike, opts: { leaseSeconds: number; built?: boolean }): Promise<HandoverResult> {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-handover-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = kube.writeKubeconfig(dir);
  const config = {
    kubernetes: {
      enabled: 'true',
      stuck: { enabled: false },
      leaderElection: {
        enabled: 'true',
        leaseDurationSeconds: opts.leaseSeconds,
        renewDeadlineSeconds: (opts.leaseSeconds * 2) / 3,
        retryPeriodSeconds: opts.leaseSeconds / 6,
      },
    },
  };
  writeFileSync(join(dir, 'config.yaml'), JSON.stringify(config));
  const job = kube.putJob(hookJob({ deletePolicy: 'HookFailed', active: 1 }));
  kube.putPod(jobPod(job, { name: 'db-migrate-ho001', phase: 'Running', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.running() }] }));
  kube.setLog('payments', 'db-migrate-ho001', 'migrate', 'ERROR: relation "orders_v2" already exists\n');

  const start = (name: string): Promise<ServiceProcess> =>
    startServiceProcess(
      t,
      ['--config', join(dir, 'config.yaml')],
      {
        HOOK_ALERTS_TOKEN: 'handover-token-0123456789',
        HOOK_ALERTS_DATA_DIR: join(dir, `data-${name}`),
        KUBECONFIG: kubeconfig,
        HOME: dir,
        POD_NAME: name,
        POD_NAMESPACE: NAMESPACE,
        LOG_LEVEL: 'info',
      },
      { built: opts.built ?? false },
    );
  const replicas = new Map<string, ServiceProcess>([
    ['replica-a', await start('replica-a')],
    ['replica-b', await start('replica-b')],
  ]);
  const holds = (svc: ServiceProcess): boolean => svc.logs.some((l) => l.msg === HOLDS);
  await waitUntil('one replica holds the watchers Lease', () => [...replicas.values()].some(holds));
  const [first, holder] = [...replicas].find(([, svc]) => holds(svc)) ?? [];
  const [second, survivor] = [...replicas].find(([, svc]) => !holds(svc)) ?? [];
  if (first === undefined || holder === undefined || second === undefined || survivor === undefined) {
    throw new Error('both replicas hold the watchers Lease at once');
  }
  // The holder dies as the hook fails: nobody watches until the Lease expires and the survivor lists the pods.
  const killedAt = Date.now();
  holder.child.kill('SIGKILL');
  kube.update('pods', 'payments', 'db-migrate-ho001', (p) => {
    (p.status as Record<string, unknown>).phase = 'Failed';
    (p.status as { containerStatuses: Record<string, unknown>[] }).containerStatuses = [
      { name: 'migrate', image: 'ghcr.io/example-org/payments-migrations:2.41.0', ready: false, started: false, restartCount: 0, state: states.terminated(1, 'Error'), lastState: {} },
    ];
  });
  await holder.exited;
  let leadAt = 0;
  let capture: Record<string, unknown> | undefined;
  await waitUntil('the survivor captures the failed pod', () => {
    if (leadAt === 0 && holds(survivor)) leadAt = Date.now();
    capture = survivor.logs.find((l) => l.msg === CAPTURED && l.pod === 'db-migrate-ho001');
    return capture !== undefined;
  }, { intervalMs: 5 });
  const capturedAt = Date.now();
  const spec = kube.lease(NAMESPACE, LEASE)?.spec as { holderIdentity?: string } | undefined;
  survivor.child.kill('SIGTERM');
  await survivor.exited;
  return {
    first,
    second,
    killToCaptureMs: capturedAt - killedAt,
    killToLeadMs: (leadAt === 0 ? capturedAt : leadAt) - killedAt,
    holderAtEnd: spec?.holderIdentity ?? null,
    capture: capture ?? {},
  };
}
