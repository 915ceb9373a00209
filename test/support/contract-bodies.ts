import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Root of the repository (test/support/ is two levels down). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Argo CD Application objects (`apps/`) and the events the generated triggers fire for each. */
export const APP_FIXTURES = join(REPO_ROOT, 'test', 'fixtures');

type JsonObject = Record<string, unknown>;

/** Events the generated triggers fire for a fixture: with the default hook types (PreSync) and with all. */
export type FixtureExpectations = Record<string, { default: string[]; allHookTypes: string[] }>;

function asObject(value: unknown): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : {};
}

/** Names of the Application fixtures in test/fixtures/apps (without .json), sorted. */
export function appFixtureNames(): string[] {
  return readdirSync(join(APP_FIXTURES, 'apps'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Path of an Application fixture in test/fixtures/apps. */
export function applicationFile(name: string): string {
  return join(APP_FIXTURES, 'apps', `${name}.json`);
}

/** An Application object from test/fixtures/apps. */
export function loadApplication(name: string): JsonObject {
  return asObject(JSON.parse(readFileSync(applicationFile(name), 'utf8')));
}

/** test/fixtures/apps-expectations.json: which events the triggers produce per fixture. */
export function loadExpectations(): FixtureExpectations {
  return JSON.parse(readFileSync(join(APP_FIXTURES, 'apps-expectations.json'), 'utf8')) as FixtureExpectations;
}

/**
 * The contract-v1 body the generated Argo CD template renders for an Application (docs/design.md, "The
 * webhook contract (v1)"): built here the way `toJson` would, with `null` for absent fields.
 */
export function contractBody(app: JsonObject, event: string, recipient: string | null = 'team-payments'): JsonObject {
  const metadata = asObject(app.metadata);
  const spec = asObject(app.spec);
  const status = asObject(app.status);
  return {
    version: 1,
    event,
    recipient,
    argocdUrl: 'https://argocd.example.com',
    app: {
      name: metadata.name ?? null,
      namespace: metadata.namespace ?? null,
      uid: metadata.uid ?? null,
      labels: metadata.labels ?? null,
      annotations: metadata.annotations ?? null,
      project: spec.project ?? null,
      destination: spec.destination ?? null,
      source: spec.source ?? null,
      sources: spec.sources ?? null,
    },
    operationState: status.operationState ?? null,
    sync: status.sync ?? null,
    health: status.health ?? null,
  };
}

/** A hook-failed body for the payments-api fixture with a distinct operation start, for bulk tests. */
export function failedBodyForOperation(i: number, appName = 'payments-api'): JsonObject {
  const body = contractBody(loadApplication('presync-job-failed'), 'hook-failed');
  const app = asObject(body.app);
  app.name = appName;
  const op = asObject(body.operationState);
  op.startedAt = new Date(Date.UTC(2026, 10, 20, 14, 0, 0) + i * 1000).toISOString().replace('.000', '');
  return body;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const SENT_FAILED_RESOURCES = 50;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{name: value[name] ?? null, ...}` for an object, else the value itself (`null` when absent), as the template does. */
function pick(value: unknown, names: readonly string[]): unknown {
  if (!isObject(value)) return value ?? null;
  return Object.fromEntries(names.map((n) => [n, value[n] ?? null]));
}

const SOURCE_FIELDS = ['repoURL', 'path', 'chart', 'targetRevision'];

function hookEntries(resources: unknown): unknown {
  if (!Array.isArray(resources)) return resources ?? null;
  let failed = 0;
  return resources.filter((r): r is JsonObject => {
    if (!isObject(r)) return false;
    if (r.hookType != null && r.hookType !== '') return true;
    if (r.hookPhase !== 'Failed' && r.hookPhase !== 'Error') return false;
    failed++;
    return failed <= SENT_FAILED_RESOURCES;
  });
}

/**
 * The body the generated template renders for an Application (src/argocd/webhook-body.ts): what
 * `contractBody` gives, less what the service does not read: the hook entries of `syncResult.resources`
 * (and the first 50 failed others), no last-applied annotation, the `deletionTimestamp` and the
 * `DeletionError` conditions, sources reduced to four fields, the
 * operation without its resource list.
 */
export function renderedBody(app: JsonObject, event: string, recipient: string | null = 'team-payments'): JsonObject {
  const body = contractBody(app, event, recipient);
  const metadata = asObject(app.metadata);
  const spec = asObject(app.spec);
  const bodyApp = asObject(body.app);
  const { name, namespace, uid, ...rest } = bodyApp;
  const withDeletion: JsonObject = { name, namespace, uid, deletionTimestamp: metadata.deletionTimestamp ?? null, ...rest };
  body.app = withDeletion;
  const conditions = asObject(app.status).conditions;
  body.conditions = Array.isArray(conditions) ? conditions.filter((c) => isObject(c) && c.type === 'DeletionError') : (conditions ?? null);
  const annotations = metadata.annotations;
  withDeletion.annotations = isObject(annotations)
    ? Object.fromEntries(Object.entries(annotations).filter(([k]) => k !== LAST_APPLIED))
    : (annotations ?? null);
  withDeletion.source = pick(spec.source, SOURCE_FIELDS);
  withDeletion.sources = Array.isArray(spec.sources) ? spec.sources.map((s) => pick(s, SOURCE_FIELDS)) : (spec.sources ?? null);
  const op = asObject(app.status).operationState;
  if (isObject(op)) {
    const operation = op.operation;
    const syncResult = op.syncResult;
    body.operationState = {
      ...(pick(op, ['phase', 'message', 'retryCount', 'startedAt', 'finishedAt']) as JsonObject),
      operation: isObject(operation)
        ? { initiatedBy: operation.initiatedBy ?? null, retry: operation.retry ?? null, sync: pick(operation.sync, ['revision', 'revisions']) }
        : (operation ?? null),
      syncResult: isObject(syncResult)
        ? { revision: syncResult.revision ?? null, revisions: syncResult.revisions ?? null, resources: hookEntries(syncResult.resources) }
        : (syncResult ?? null),
    };
  }
  return body;
}
