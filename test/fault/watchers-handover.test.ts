import t from 'tap';
import { watchersHandover } from '../support/watchers-handover.js';

// bench/leader-handover-bench.ts measures how long the same handover takes.
t.test('the replica running the watchers is SIGKILLed as a hook pod fails: the other takes the Lease over and captures the pod', async (t) => {
  const result = await watchersHandover(t, { leaseSeconds: 3 });
  t.not(result.first, result.second, `${result.first} held the Lease, ${result.second} survived`);
  t.equal(result.holderAtEnd, result.second, 'the Lease names the survivor');
  t.match(result.capture, { reason: 'pod-failed', job: 'payments/db-migrate' }, 'the survivor captured the failed pod');
  t.comment(`kill → lead ${result.killToLeadMs} ms, kill → capture ${result.killToCaptureMs} ms (lease 3 s)`);
});
