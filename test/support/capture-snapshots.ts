import type { CaptureSnapshot } from '../../src/model/capture-snapshot.js';

/** A failed pod's snapshot with one container whose log is `logText`. */
export function captureSnapshot(podName: string, uid: string, logText = 'x'): CaptureSnapshot {
  return {
    reason: 'pod-failed',
    job: null,
    jobUid: 'job-uid',
    events: [],
    pod: {
      name: podName,
      namespace: 'payments',
      uid,
      phase: 'Failed',
      reason: null,
      message: null,
      nodeName: null,
      createdAt: '2026-11-20T14:02:10Z',
      startedAt: null,
      deletedAt: null,
      unschedulable: null,
      containers: [
        {
          name: 'migrate',
          init: false,
          image: null,
          restartCount: 0,
          current: { state: 'terminated', exitCode: 1, signal: null, reason: 'Error', message: null, startedAt: null, finishedAt: null },
          lastTermination: null,
          limits: { memory: null, cpu: null },
          log: { text: logText, truncated: false, bytes: logText.length, lines: 1, previous: false },
          logUnavailable: null,
        },
      ],
    },
  };
}
