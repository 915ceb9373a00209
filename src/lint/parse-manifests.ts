import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import { asArray, asRecord, asString, type FieldPath, type JsonRecord, type ManifestObject } from './manifest-object.js';

/** Objects read from one YAML stream, or the reasons it could not be read. */
export interface ParsedManifests {
  objects: ManifestObject[];
  /** Non-empty when the text is not valid YAML: "file:line:col: message". Nothing else is checked then. */
  problems: string[];
}

type AnyNode = Node | null | undefined;

function nodeLine(node: AnyNode, lines: LineCounter): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : lines.linePos(start).line;
}

/**
 * Line of a field: walks the path through the YAML tree and returns the line of the deepest step that
 * exists (the key's line for a map entry), so a missing `spec.backoffLimit` points at `spec:`.
 */
function lineOfPath(doc: Document.Parsed, lines: LineCounter, path: FieldPath, fallback: number): number {
  let node: AnyNode = doc.contents;
  let line = nodeLine(node, lines) ?? fallback;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (pair === undefined) return line;
      line = nodeLine(pair.key as AnyNode, lines) ?? line;
      node = pair.value as AnyNode;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as AnyNode;
      if (item === undefined || item === null) return line;
      line = nodeLine(item, lines) ?? line;
      node = item;
    } else {
      return line;
    }
  }
  return line;
}

/** `helm template` marks each document with `# Source: chart/templates/file.yaml`. */
function helmSourceOf(doc: Document.Parsed): string | null {
  const comments = [doc.commentBefore, doc.contents?.commentBefore].filter((c): c is string => typeof c === 'string');
  for (const c of comments) {
    const m = /^\s*Source:\s*(\S.*?)\s*$/m.exec(c);
    if (m?.[1] !== undefined) return m[1];
  }
  return null;
}

function isKubernetesObject(value: unknown): value is JsonRecord {
  const rec = asRecord(value);
  return rec !== undefined && asString(rec.apiVersion) !== undefined && asString(rec.kind) !== undefined;
}

/**
 * Parse a multi-document YAML stream into Kubernetes objects. Documents without apiVersion and kind
 * (values files, empty `---` sections, comments) are skipped; `kind: List` objects (kubectl get -o yaml)
 * contribute their items.
 */
export function parseManifests(text: string, file: string): ParsedManifests {
  const lines = new LineCounter();
  // prettyErrors fills err.linePos (the code frame it adds to the message is dropped below); merge keys
  // (<<: *base) because kubectl's YAML reader (sigs.k8s.io/yaml) resolves them too.
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true, merge: true });
  const problems: string[] = [];
  const objects: ManifestObject[] = [];
  if (!Array.isArray(docs)) return { objects, problems };
  docs.forEach((doc, documentIndex) => {
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      const where = pos !== undefined ? `${file}:${pos.line}:${pos.col}` : file;
      const headline = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
      problems.push(`${where}: invalid YAML in document ${documentIndex}: ${headline}`);
    }
    if (doc.errors.length > 0) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // yaml throws here for alias bombs ("Excessive alias count") and unresolved aliases.
      const line = nodeLine(doc.contents, lines) ?? 1;
      problems.push(`${file}:${line}:1: cannot read document ${documentIndex}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!isKubernetesObject(value)) return;
    const helmSource = helmSourceOf(doc);
    const docLine = nodeLine(doc.contents, lines) ?? 1;
    const make = (object: JsonRecord, itemIndex: number | null): ManifestObject => {
      const prefix: FieldPath = itemIndex === null ? [] : ['items', itemIndex];
      return {
        file,
        documentIndex,
        itemIndex,
        helmSource,
        object,
        lineOf: (path) => lineOfPath(doc, lines, [...prefix, ...path], docLine),
      };
    };
    const items = value.items;
    if (typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(items)) {
      asArray(items).forEach((item, i) => {
        if (isKubernetesObject(item)) objects.push(make(item, i));
      });
      return;
    }
    objects.push(make(value, null));
  });
  return { objects, problems };
}
