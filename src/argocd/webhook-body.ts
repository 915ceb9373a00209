import type { EventKind } from '../model/contract-v1.js';

/**
 * Fields of webhook contract v1 (docs/design.md, "The webhook contract (v1)") and the Go template
 * expression that fills each. Every value goes through `toJson` (argo-cd#8665: string interpolation breaks
 * on quotes, backslashes, newlines), so a field Argo CD omits renders as `null` and any message, label or
 * annotation stays valid JSON.
 */
const APP_FIELDS: readonly (readonly [string, string])[] = [
  ['name', '.app.metadata.name'],
  ['namespace', '.app.metadata.namespace'],
  ['uid', '.app.metadata.uid'],
  ['labels', '.app.metadata.labels'],
  ['annotations', '.app.metadata.annotations'],
  ['project', '.app.spec.project'],
  ['destination', '.app.spec.destination'],
  ['source', '.app.spec.source'],
  ['sources', '.app.spec.sources'],
];

const TOP_FIELDS: readonly (readonly [string, string])[] = [
  ['recipient', '.recipient'],
  ['argocdUrl', '.context.argocdUrl'],
];

const STATUS_FIELDS: readonly (readonly [string, string])[] = [
  ['operationState', '.app.status.operationState'],
  ['sync', '.app.status.sync'],
  ['health', '.app.status.health'],
];

function field(name: string, path: string): string {
  return `${JSON.stringify(name)}: {{toJson ${path}}}`;
}

/** The Go text/template of a contract v1 body for one event kind (a literal per template). */
export function contractV1Body(event: EventKind): string {
  const lines = [
    '{',
    '  "version": 1,',
    `  "event": ${JSON.stringify(event)},`,
    ...TOP_FIELDS.map(([name, path]) => `  ${field(name, path)},`),
    '  "app": {',
    ...APP_FIELDS.map(([name, path], i) => `    ${field(name, path)}${i < APP_FIELDS.length - 1 ? ',' : ''}`),
    '  },',
    ...STATUS_FIELDS.map(([name, path], i) => `  ${field(name, path)}${i < STATUS_FIELDS.length - 1 ? ',' : ''}`),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}
