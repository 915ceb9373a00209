import type { EventKind } from '../model/contract-v1.js';
import type { HookEvent, HookRef } from '../model/hook-event.js';
import type { AlertReport, JobReport } from '../model/job-report.js';

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function get(obj: unknown, ...path: string[]): unknown {
  let node = obj;
  for (const key of path) node = isRecord(node) ? node[key] : undefined;
  return node;
}

/** The event Argo CD's generated triggers send for an Application in this state. */
function eventKindOfApplication(app: unknown): EventKind {
  const phase = get(app, 'status', 'operationState', 'phase');
  const message = get(app, 'status', 'operationState', 'message');
  if (phase === 'Succeeded') return 'sync-succeeded';
  if (phase === 'Running') return typeof message === 'string' && /Retrying attempt/i.test(message) ? 'hook-retrying' : 'hook-stuck';
  return 'hook-failed';
}

/**
 * The contract-v1 body the generated template renders for an Application (`kubectl get application -o
 * json`), as Argo CD would POST it: every field present, `null` where the Application has none.
 */
export function contractBodyFromApplication(
  app: unknown,
  opts: { event?: EventKind; recipient?: string | null; argocdUrl?: string | null } = {},
): UnknownRecord {
  const orNull = (v: unknown): unknown => (v === undefined ? null : v);
  return {
    version: 1,
    event: opts.event ?? eventKindOfApplication(app),
    recipient: opts.recipient === undefined ? 'team-payments' : opts.recipient,
    argocdUrl: opts.argocdUrl === undefined ? 'https://argocd.example.com' : opts.argocdUrl,
    app: {
      name: get(app, 'metadata', 'name'),
      namespace: get(app, 'metadata', 'namespace'),
      uid: orNull(get(app, 'metadata', 'uid')),
      labels: orNull(get(app, 'metadata', 'labels')),
      annotations: orNull(get(app, 'metadata', 'annotations')),
      project: orNull(get(app, 'spec', 'project')),
      destination: orNull(get(app, 'spec', 'destination')),
      source: orNull(get(app, 'spec', 'source')),
      sources: orNull(get(app, 'spec', 'sources')),
    },
    operationState: orNull(get(app, 'status', 'operationState')),
    sync: orNull(get(app, 'status', 'sync')),
    health: orNull(get(app, 'status', 'health')),
  };
}

const MIGRATION_LOG = [
  '2026-11-20T14:06:31.102Z INFO  migrate: connecting to postgres://payments-db.payments.svc:5432/payments',
  '2026-11-20T14:06:31.388Z INFO  migrate: current schema version 20261102_add_refund_index',
  '2026-11-20T14:06:31.390Z INFO  migrate: 2 migrations to apply',
  '2026-11-20T14:06:31.391Z INFO  migrate: applying 20261118_split_ledger_entries (1/2)',
  '2026-11-20T14:06:33.912Z INFO  migrate: 20261118_split_ledger_entries done in 2.52s',
  '2026-11-20T14:06:33.913Z INFO  migrate: applying 20261120_payments_currency_not_null (2/2)',
  '2026-11-20T14:06:33.915Z INFO  migrate: ALTER TABLE payments ALTER COLUMN currency SET NOT NULL',
  '2026-11-20T14:06:34.207Z ERROR migrate: migration 20261120_payments_currency_not_null failed',
  '2026-11-20T14:06:34.207Z ERROR migrate: pq: column "currency" of relation "payments" contains null values (SQLSTATE 23502)',
  '2026-11-20T14:06:34.208Z INFO  migrate: rolled back 20261120_payments_currency_not_null',
  'Error: migration failed: 1 of 2 migrations applied; database left at 20261118_split_ledger_entries',
  '    at Migrator.apply (/app/node_modules/migrator/lib/index.js:212:11)',
];

const OOM_LOG = [
  '[reindex] loading 1,482,221 documents from orders_v3',
  '[reindex] batch 1/30 indexed in 4.1s',
  '[reindex] batch 2/30 indexed in 4.4s',
  '[reindex] batch 3/30 indexed in 7.9s (heap 1.71 GiB)',
];

function sampleJobReport(hook: HookRef, index: number, event: HookEvent, now: Date): JobReport {
  const namespace = hook.namespace ?? event.destination.namespace ?? 'default';
  const oom = index % 2 === 1;
  const finished = new Date(now.getTime() - 60_000).toISOString();
  const started = new Date(now.getTime() - 125_000).toISOString();
  const deadline = /deadline/i.test(hook.message ?? '');
  const reason = deadline ? 'DeadlineExceeded' : 'BackoffLimitExceeded';
  const pod = `${hook.name.slice(0, 52)}-${['x7k2p', 'q9d4m', 'r2w8z'][index % 3] ?? 'x7k2p'}`;
  const log = (oom ? OOM_LOG : MIGRATION_LOG).join('\n') + '\n';
  return {
    hook,
    cluster: event.destination.server ?? event.destination.name,
    job:
      hook.kind === 'Job'
        ? {
            name: hook.name,
            namespace,
            uid: null,
            conditions: [
              {
                type: 'Failed',
                status: 'True',
                reason,
                message: deadline ? 'Job was active longer than specified deadline' : 'Job has reached the specified backoff limit',
                lastTransitionTime: finished,
              },
            ],
            backoffLimit: 0,
            activeDeadlineSeconds: deadline ? 600 : null,
            ttlSecondsAfterFinished: null,
            active: 0,
            succeeded: 0,
            failed: 1,
            startTime: started,
            completionTime: null,
            durationSeconds: 65,
            images: hook.images,
            deletePolicy: 'BeforeHookCreation',
            createdAt: '2024-03-04T09:41:05Z',
          }
        : null,
    pods: [
      {
        name: pod,
        namespace,
        uid: null,
        phase: 'Failed',
        reason: null,
        message: null,
        nodeName: 'ip-10-0-12-34.eu-west-1.compute.internal',
        createdAt: started,
        startedAt: started,
        deletedAt: null,
        unschedulable: null,
        containers: [
          {
            name: oom ? 'reindex' : 'migrate',
            init: false,
            image: hook.images[0] ?? 'ghcr.io/example-org/payments-migrations:2.41.0',
            restartCount: 0,
            current: {
              state: 'terminated',
              exitCode: oom ? 137 : 1,
              signal: null,
              reason: oom ? 'OOMKilled' : 'Error',
              message: null,
              startedAt: started,
              finishedAt: finished,
            },
            lastTermination: null,
            limits: { memory: oom ? '2Gi' : '256Mi', cpu: '500m' },
            log: { text: log, truncated: false, bytes: Buffer.byteLength(log), lines: log.split('\n').length - 1, previous: false },
            logUnavailable: null,
          },
        ],
      },
    ],
    events: [
      {
        type: 'Warning',
        reason,
        message: deadline ? 'Job was active longer than specified deadline' : 'Job has reached the specified backoff limit',
        object: `Job/${hook.name}`,
        count: 1,
        firstTimestamp: finished,
        lastTimestamp: finished,
      },
    ],
    source: 'live',
    capturedAt: null,
    missing: [],
  };
}

/**
 * A realistic enrichment of an event, for `send-test`: each hook's Job failed (backoff limit or deadline),
 * its pod's container exited 1 with a migration error in the log tail (or was OOMKilled, for a second hook).
 */
export function sampleAlertReport(event: HookEvent, now: Date): AlertReport {
  return {
    hooks: event.hooks.map((hook, i) => sampleJobReport(hook, i, event, now)),
    notes: ['send-test: a sample alert; the cluster was not read'],
    enrichedAt: now.toISOString(),
    durationMs: 0,
  };
}
