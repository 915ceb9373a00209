import t, { type Test } from 'tap';
import { pino } from 'pino';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { waitUntil } from '../../support/service-http.js';
import { ClusterRegistry } from '../../../src/enrich/cluster-registry.js';
import { kubernetesConfigSchema } from '../../../src/enrich/enrich-config.js';
import { LeaseElection } from '../../../src/kube/lease-election.js';
import type { KubeClient } from '../../../src/kube/kube-client.js';

// Candidates for one Lease on the Kubernetes API test server, which treats Leases as the API server does
// (POST 409 when it exists, PUT 409 unless the resourceVersion is current). Short timings: the waits below
// bound a hang only, each ends when the state it waits for is reached. The renew deadline still leaves a
// leader 2 s of stalled event loop before it steps down, so a loaded machine does not change the leader
// under a test that counts on one (1 s leases did, in principle, at a load of 16 on 2 cores).
const NAMESPACE = 'argocd-hook-alerts';
const LEASE = 'argocd-hook-alerts-watchers';
const TIMINGS = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 100 };

interface Candidate {
  identity: string;
  election: LeaseElection;
  /** The work's calls, in order: "start" and "stop". */
  calls: string[];
  running: () => boolean;
}

async function cluster(t: Test): Promise<{ kube: KubeApiServer; client: () => KubeClient }> {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir();
  const kubeconfig = kube.writeKubeconfig(dir);
  const config = kubernetesConfigSchema.parse({ enabled: 'true', bounds: { callTimeoutMs: 2_000 } });
  // One client per candidate, as each replica has its own.
  const client = (): KubeClient => {
    const home = ClusterRegistry.fromConfig(config, { KUBECONFIG: kubeconfig, HOME: dir }).registry?.home() ?? null;
    if (home === null) throw new Error('the test kubeconfig did not load');
    return home;
  };
  return { kube, client };
}

function candidate(t: Test, identity: string, client: KubeClient, shared: { order: string[] }, timings = TIMINGS): Candidate {
  const calls: string[] = [];
  let running = false;
  const election = new LeaseElection({
    client,
    settings: { namespace: NAMESPACE, name: LEASE, identity, ...timings },
    work: {
      start: () => {
        calls.push('start');
        shared.order.push(`${identity} start`);
        running = true;
      },
      stop: async () => {
        calls.push('stop');
        shared.order.push(`${identity} stop`);
        running = false;
      },
    },
    logger: pino({ level: 'silent' }),
  });
  t.teardown(() => election.stop());
  return { identity, election, calls, running: () => running };
}

const holder = (kube: KubeApiServer): unknown => (kube.lease(NAMESPACE, LEASE)?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;

t.test('three candidates started at once: exactly one leads, and it is the Lease holder', async (t) => {
  const { kube, client } = await cluster(t);
  const shared = { order: [] };
  const all = ['a', 'b', 'c'].map((id) => candidate(t, id, client(), shared));
  for (const c of all) c.election.start();
  await waitUntil('a leader', () => all.some((c) => c.election.leading));
  const leader = all.find((c) => c.election.leading);
  // Several renewals later, still one leader: the others saw a live Lease each time they looked.
  const writes = kube.leaseWrites.length;
  await waitUntil('5 renewals', () => kube.leaseWrites.length >= writes + 5);
  t.same(all.filter((c) => c.election.leading).map((c) => c.identity), [leader?.identity], 'one leader');
  t.same(all.filter((c) => c.running()).map((c) => c.identity), [leader?.identity], 'only the leader runs the work');
  t.equal(holder(kube), leader?.identity, 'the Lease names it');
  const creates = kube.requests.filter((r) => r.method === 'POST');
  t.ok(creates.length >= 1, `the Lease was created once; other creates were refused (409): ${creates.map((r) => r.status).join(', ')}`);
  t.equal(creates.filter((r) => r.status === 201).length, 1, 'one create succeeded');
  const spec = kube.lease(NAMESPACE, LEASE)?.spec as Record<string, unknown>;
  t.match(spec, { leaseDurationSeconds: 3, leaseTransitions: 0 }, 'the duration is recorded in whole seconds; no transition yet');
  t.match(String(spec.renewTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'renewTime is a MicroTime (six fraction digits)');
});

t.test('a leader that dies without releasing is replaced once its Lease expires, never before', async (t) => {
  const { kube, client } = await cluster(t);
  const shared = { order: [] as string[] };
  const a = candidate(t, 'a', client(), shared);
  a.election.start();
  await waitUntil('a leads', () => a.election.leading);
  const b = candidate(t, 'b', client(), shared);
  b.election.start();
  const writes = kube.leaseWrites.length;
  await waitUntil('a renews 8 times while b campaigns', () => kube.leaseWrites.length >= writes + 8);
  t.notOk(b.election.leading, 'b never took a Lease that a kept renewing');
  // a dies: its renewals stop, and its release on the way out is lost too.
  kube.fault({ method: 'PUT', path: /\/leases\/argocd-hook-alerts-watchers$/, respond: 'hang' });
  const lastOfA = kube.leaseWrites.length;
  await a.election.stop();
  kube.clearFaults();
  await waitUntil('b takes over', () => b.election.leading);
  const takeover = kube.leaseWrites[lastOfA];
  t.equal((takeover?.spec as { holderIdentity?: string }).holderIdentity, 'b', 'the first write after a stopped is b taking over');
  t.equal((takeover?.spec as { leaseTransitions?: number }).leaseTransitions, 1, 'one transition recorded');
  t.same(shared.order, ['a start', 'a stop', 'b start'], 'a stopped its work before b started its own');
});

t.test('a leader that stops cleanly releases the Lease: the next candidate takes it at its next try', async (t) => {
  const { kube, client } = await cluster(t);
  const shared = { order: [] as string[] };
  // A Lease that would keep b waiting 10 minutes if a died: only the release lets b in at once.
  const long = { leaseDurationMs: 600_000, renewDeadlineMs: 60_000, retryPeriodMs: 100 };
  const a = candidate(t, 'a', client(), shared, long);
  a.election.start();
  await waitUntil('a leads', () => a.election.leading);
  const b = candidate(t, 'b', client(), shared, long);
  b.election.start();
  const writes = kube.leaseWrites.length;
  await waitUntil('b looks at the Lease held by a', () => kube.requests.filter((r) => r.method === 'GET').length >= writes + 4);
  await a.election.stop();
  t.equal(holder(kube), '', 'released: no holder');
  const released = kube.leaseWrites.length;
  await waitUntil('b takes over the released Lease, long before it would have expired', () => b.election.leading, { maxMs: 30_000 });
  t.equal(kube.leaseWrites.length, released + 1, 'b took it with one write');
  t.same(shared.order, ['a start', 'a stop', 'b start']);
});

t.test('a leader cut off from the API server stops its work within the renew deadline, before anyone can take over', async (t) => {
  const { kube, client } = await cluster(t);
  const shared = { order: [] as string[] };
  const a = candidate(t, 'a', client(), shared);
  a.election.start();
  await waitUntil('a leads', () => a.election.leading);
  kube.fault({ path: /\/leases/, respond: { status: 500, reason: 'InternalError', message: 'etcd is down' } });
  kube.fault({ method: 'PUT', path: /\/leases/, respond: { status: 500, reason: 'InternalError', message: 'etcd is down' } });
  await waitUntil('a steps down', () => !a.election.leading);
  t.same(a.calls, ['start', 'stop'], 'its work was stopped');
  t.equal(holder(kube), 'a', 'the Lease still names it: nobody could have taken it over yet');
  kube.clearFaults();
  await waitUntil('a leads again once the API server is back', () => a.election.leading);
  t.same(a.calls, ['start', 'stop', 'start'], 'the work started again');
});
