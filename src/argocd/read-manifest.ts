import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { describeError, errors } from '../errors.js';

const manifestSchema = z.looseObject({
  kind: z.string().optional(),
  data: z.record(z.string(), z.unknown()).nullish(),
  stringData: z.record(z.string(), z.unknown()).nullish(),
});

function asStrings(file: string, section: string, values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== 'string') {
      // Kubernetes itself refuses a non-string value in data: say which key, instead of guessing.
      throw errors.argocdInput(file, `${section}.${k} is ${v === null ? 'null' : typeof v}, not a string`);
    }
    out[k] = v;
  }
  return out;
}

/**
 * The string map of the first `kind` document of a YAML file (a manifest as kubectl prints it, a patch,
 * or a multi-document file). For a Secret, `data` is base64-decoded and `stringData` wins, as the API
 * server merges them.
 */
export function readManifestData(file: string, kind: 'ConfigMap' | 'Secret'): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw errors.argocdInput(file, describeError(err));
  }
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw errors.argocdInput(file, 'it holds no YAML document');
  for (const doc of docs) {
    if (doc.errors.length > 0) throw errors.argocdInput(file, `invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const parsed = manifestSchema.safeParse(doc.toJS());
    if (!parsed.success || parsed.data.kind !== kind) continue;
    const manifest = parsed.data;
    if (kind === 'ConfigMap') return asStrings(file, 'data', manifest.data ?? {});
    const decoded: Record<string, string> = {};
    for (const [k, v] of Object.entries(asStrings(file, 'data', manifest.data ?? {}))) {
      decoded[k] = Buffer.from(v, 'base64').toString('utf8');
    }
    return { ...decoded, ...asStrings(file, 'stringData', manifest.stringData ?? {}) };
  }
  throw errors.argocdInput(file, `it has no ${kind} document (kind: ${kind})`);
}
