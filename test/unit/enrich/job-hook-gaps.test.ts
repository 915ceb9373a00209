import t from 'tap';
import { explainJobHookGaps, jobHookSource, type JobHookReads } from '../../../src/enrich/job-hook-gaps.js';
import { hookFailedEvent } from '../../support/kube-enrich-setup.js';

const event = hookFailedEvent();
const hook = event.hooks[0];
if (hook === undefined) throw new Error('the sample event has no hook');

/** The reads of a Job that is there with pods: nothing to explain. */
const base: JobHookReads = {
  hook,
  event,
  namespace: 'payments',
  liveJob: { failed: 1, succeeded: 0 },
  jobReadFailed: false,
  livePods: 1,
  podsReadFailed: false,
  capturedPods: 0,
  capturedAt: null,
  jobInfo: null,
  captureEnabled: true,
};

t.test('what is missing from a Job hook and why: one row per case', async (t) => {
  const rows: { name: string; reads: Partial<JobHookReads>; gaps: { what: string | null; sentence: RegExp }[]; source: string }[] = [
    { name: 'the Job and its pods are there', reads: {}, gaps: [], source: 'live' },
    {
      name: 'Job deleted, pods captured',
      reads: { liveJob: null, livePods: 0, capturedPods: 2, capturedAt: '2026-11-20T14:03:00Z' },
      gaps: [{ what: null, sentence: /^captured at 2026-11-20T14:03:00Z, the Job was deleted by Argo CD/ }],
      source: 'capture',
    },
    {
      name: 'Job deleted, no capture, capture on: the watcher did not see it',
      reads: { liveJob: null, livePods: 0 },
      gaps: [{ what: 'logs', sentence: /logs unavailable: pods deleted by .* and no capture \(the capture watcher did not see its pods/ }],
      source: 'none',
    },
    {
      name: 'Job deleted, no capture, capture off: how to turn it on',
      reads: { liveJob: null, livePods: 0, captureEnabled: false },
      gaps: [{ what: 'logs', sentence: /turn on kubernetes\.capture\.enabled/ }],
      source: 'none',
    },
    {
      name: 'Job deleted, its pods still there',
      reads: { liveJob: null, livePods: 1 },
      gaps: [{ what: null, sentence: /^Job payments\/db-migrate no longer exists \(deleted by .*\); its pods are still there$/ }],
      source: 'live',
    },
    { name: 'the Job read failed: told by the read failure, nothing added', reads: { liveJob: null, jobReadFailed: true, livePods: 0 }, gaps: [], source: 'none' },
    {
      name: 'Job there, earlier attempts from captures',
      reads: { capturedPods: 1, capturedAt: '2026-11-20T14:02:00Z' },
      gaps: [{ what: null, sentence: /^1 pod\(s\) of earlier attempts shown from captures/ }],
      source: 'live',
    },
    {
      name: 'Job there and failed, pods garbage-collected',
      reads: { livePods: 0 },
      gaps: [{ what: 'pods', sentence: /they were deleted \(pod garbage collection or by hand\)/ }],
      source: 'live',
    },
    {
      name: 'Job there, no pod created yet',
      reads: { livePods: 0, liveJob: { failed: 0, succeeded: 0 } },
      gaps: [{ what: 'pods', sentence: /the Job has not created any yet/ }],
      source: 'live',
    },
    { name: 'Job there, the pod list failed: told by the read failure', reads: { livePods: 0, podsReadFailed: true }, gaps: [], source: 'live' },
  ];
  for (const row of rows) {
    const reads = { ...base, ...row.reads };
    const gaps = explainJobHookGaps(reads);
    t.equal(gaps.length, row.gaps.length, `${row.name}: ${gaps.length} sentence(s)`);
    row.gaps.forEach((want, i) => {
      t.equal(gaps[i]?.what ?? null, want.what, `${row.name}: counted as ${String(want.what)}`);
      t.match(gaps[i]?.sentence, want.sentence, `${row.name}: the sentence`);
    });
    t.equal(jobHookSource(reads), row.source, `${row.name}: source ${row.source}`);
  }
});
