/** Display name of standard input (`-`) in findings. */
export const STDIN_NAME = '<stdin>';

/** A key or index on the way from an object's root to one of its fields. */
export type FieldPath = readonly (string | number)[];

/** A plain JSON object as parsed from YAML. */
export type JsonRecord = Record<string, unknown>;

/**
 * One Kubernetes object read from the input, with where it came from. `lineOf` maps a field path
 * (relative to the object) to the 1-based line of that field, or of its nearest existing parent, so
 * rules can point at `spec.backoffLimit` even when it is missing.
 */
export interface ManifestObject {
  file: string;
  documentIndex: number;
  itemIndex: number | null;
  helmSource: string | null;
  object: JsonRecord;
  lineOf: (path: FieldPath) => number;
}

/** Narrow an unknown YAML value to a plain object. */
export function asRecord(value: unknown): JsonRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : undefined;
}

/** Narrow an unknown YAML value to an array (missing or wrong type gives an empty one). */
export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A non-empty string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Read a nested field by path; undefined as soon as a step is missing. */
export function getIn(root: unknown, path: FieldPath): unknown {
  let node: unknown = root;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[step];
    } else {
      const rec = asRecord(node);
      if (rec === undefined) return undefined;
      node = rec[step];
    }
  }
  return node;
}

/**
 * Annotations as strings. Kubernetes only accepts string values; an unquoted `sync-wave: -1` parses as
 * a YAML number, and kubectl/Argo CD would reject it, but the intent is clear, so it is read as text.
 */
export function annotationsOf(object: JsonRecord): Record<string, string> {
  const out: Record<string, string> = {};
  const annotations = asRecord(getIn(object, ['metadata', 'annotations']));
  if (annotations === undefined) return out;
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}
