import { LAST_APPLIED_ANNOTATION, type EventKind } from '../model/contract-v1.js';

/*
 * The Go text/template of webhook contract v1 (docs/design.md, "The webhook contract (v1)").
 *
 * Every value goes through `toJson` (argo-cd#8665: string interpolation breaks on quotes, backslashes,
 * newlines), so a field Argo CD omits renders as `null` and any message, label or annotation stays valid JSON.
 *
 * The body must fit (docs/design.md, "Bodies that fit"): an Application with thousands of resources has
 * thousands of `syncResult.resources` entries and a `kubectl.kubernetes.io/last-applied-configuration`
 * annotation as large as its spec, and a body over the receiver's limit is refused with a 413 that Argo CD
 * retries on every reconcile. So the template picks what the service reads, value by value: the hook entries
 * of `syncResult.resources` (and at most FAILED_RESOURCES_SENT failed non-hook entries, which name what
 * failed when no hook did), the `DeletionError` conditions (failed delete hooks), the annotations without the last-applied one, the sources without inline Helm
 * values, and the operation without its resource list or manifests.
 *
 * Only text/template built-ins and sprig functions that exist unchanged in every sprig Argo CD 2.8–3.5 ships
 * (v3.2.3, v3.3.0): toJson, kindIs, has, list, add1. `kindIs` guards every object before a field of it is
 * read and every list before it is ranged over, so an unexpected shape renders as its own `toJson`
 * instead of failing the template (a failed template is a notification Argo CD never sends).
 */

/** Failed non-hook entries of `syncResult.resources` that the body carries, at most. */
export const FAILED_RESOURCES_SENT = 50;


const SOURCE_FIELDS = ['repoURL', 'path', 'chart', 'targetRevision'] as const;

type Fields = readonly (readonly [string, string])[];

function value(path: string): string {
  return `{{toJson ${path}}}`;
}

/** `{"a": <a>, ...}` when `path` is an object, else its own toJson (`null` when absent). */
function objectOf(path: string, fields: Fields): string {
  const body = fields.map(([name, expr]) => `${JSON.stringify(name)}: ${expr}`).join(', ');
  return `{{if kindIs "map" ${path}}}{${body}}{{else}}${value(path)}{{end}}`;
}

function fieldsOf(path: string, names: readonly string[]): Fields {
  return names.map((n) => [n, value(`${path}.${n}`)] as const);
}

/** A list of sources, each reduced to the fields the service reads (inline Helm values can be large). */
function sourcesOf(path: string): string {
  const item = objectOf('$source', fieldsOf('$source', SOURCE_FIELDS));
  return `{{if kindIs "slice" ${path}}}[{{range $i, $source := ${path}}}{{if $i}}, {{end}}${item}{{end}}]{{else}}${value(path)}{{end}}`;
}

/** The annotations without the last-applied one, each key and value through toJson. */
function annotationsOf(path: string): string {
  const entry = `{{if ne $key ${JSON.stringify(LAST_APPLIED_ANNOTATION)}}}{{if $kept}}, {{end}}{{$kept = add1 $kept}}{{toJson $key}}: {{toJson $value}}{{end}}`;
  return `{{if kindIs "map" ${path}}}{ {{$kept := 0}}{{range $key, $value := ${path}}}${entry}{{end}}}{{else}}${value(path)}{{end}}`;
}

/** The `DeletionError` conditions of a `status.conditions` list: where failed delete hooks show (Argo CD 3.3+). */
function deletionConditionsOf(path: string): string {
  const entry = '{{if kindIs "map" .}}{{if has .type (list "DeletionError")}}{{if $conditions}}, {{end}}{{$conditions = add1 $conditions}}{{toJson .}}{{end}}{{end}}';
  return `{{if kindIs "slice" ${path}}}[{{$conditions := 0}}{{range ${path}}}${entry}{{end}}]{{else}}${value(path)}{{end}}`;
}

/** The hook entries of a `syncResult.resources` list, and the first FAILED_RESOURCES_SENT failed others. */
function hookResourcesOf(path: string): string {
  const sep = '{{if $sent}}, {{end}}{{$sent = add1 $sent}}';
  const entry =
    '{{if kindIs "map" .}}' +
    `{{if .hookType}}${sep}{{toJson .}}` +
    `{{else if has .hookPhase (list "Failed" "Error")}}{{if lt $failed ${FAILED_RESOURCES_SENT}}}${sep}{{$failed = add1 $failed}}{{toJson .}}{{end}}` +
    '{{end}}{{end}}';
  return `{{if kindIs "slice" ${path}}}[{{$sent := 0}}{{$failed := 0}}{{range ${path}}}${entry}{{end}}]{{else}}${value(path)}{{end}}`;
}

const OP = '.app.status.operationState';

function operationStateOf(): string {
  const operation = objectOf(`${OP}.operation`, [
    ['initiatedBy', value(`${OP}.operation.initiatedBy`)],
    ['retry', value(`${OP}.operation.retry`)],
    ['sync', objectOf(`${OP}.operation.sync`, fieldsOf(`${OP}.operation.sync`, ['revision', 'revisions']))],
  ]);
  const syncResult = objectOf(`${OP}.syncResult`, [
    ['revision', value(`${OP}.syncResult.revision`)],
    ['revisions', value(`${OP}.syncResult.revisions`)],
    ['resources', hookResourcesOf(`${OP}.syncResult.resources`)],
  ]);
  return objectOf(OP, [
    ...fieldsOf(OP, ['phase', 'message', 'retryCount', 'startedAt', 'finishedAt']),
    ['operation', operation],
    ['syncResult', syncResult],
  ]);
}

const APP_FIELDS: Fields = [
  ['name', value('.app.metadata.name')],
  ['namespace', value('.app.metadata.namespace')],
  ['uid', value('.app.metadata.uid')],
  ['deletionTimestamp', value('.app.metadata.deletionTimestamp')],
  ['labels', value('.app.metadata.labels')],
  ['annotations', annotationsOf('.app.metadata.annotations')],
  ['project', value('.app.spec.project')],
  ['destination', value('.app.spec.destination')],
  ['source', objectOf('.app.spec.source', fieldsOf('.app.spec.source', SOURCE_FIELDS))],
  ['sources', sourcesOf('.app.spec.sources')],
];

/** The Go text/template of a contract v1 body for one event kind (a literal per template). */
export function contractV1Body(event: EventKind): string {
  const lines = [
    '{',
    '  "version": 1,',
    `  "event": ${JSON.stringify(event)},`,
    `  "recipient": ${value('.recipient')},`,
    `  "argocdUrl": ${value('.context.argocdUrl')},`,
    '  "app": {',
    ...APP_FIELDS.map(([name, expr], i) => `    ${JSON.stringify(name)}: ${expr}${i < APP_FIELDS.length - 1 ? ',' : ''}`),
    '  },',
    `  "operationState": ${operationStateOf()},`,
    `  "conditions": ${deletionConditionsOf('.app.status.conditions')},`,
    `  "sync": ${value('.app.status.sync')},`,
    `  "health": ${value('.app.status.health')}`,
    '}',
  ];
  return `${lines.join('\n')}\n`;
}
