import { parseAllDocuments } from 'yaml';
import { runToExit, runsOk } from './process-groups.js';
import type { TestLike } from './worker-harness.js';

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

/** Whether kubectl (with its built-in kustomize) is on this machine. */
export async function hasKubectl(t: TestLike): Promise<boolean> {
  return runsOk(t, 'kubectl', ['version', '--client']);
}

/** Render a kustomization directory with `kubectl kustomize` and parse every object. */
export async function kustomize(t: TestLike, dir: string): Promise<KubeObject[]> {
  const res = await runToExit(t, 'kubectl', ['kustomize', dir]);
  if (res.code !== 0) throw new Error(`kubectl kustomize ${dir} failed (${res.code ?? res.signal}): ${res.stderr}`);
  return parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is KubeObject => typeof o === 'object' && o !== null && 'kind' in o);
}

/** Validate an object against the Kubernetes OpenAPI schema (kubernetes-models); null for unknown kinds. */
export async function validateAgainstOpenApi(obj: KubeObject): Promise<'valid' | 'unknown-kind'> {
  const modulePath = `kubernetes-models/${obj.apiVersion}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modulePath)) as Record<string, unknown>;
  } catch {
    return 'unknown-kind';
  }
  const Model = mod[obj.kind];
  if (typeof Model !== 'function') return 'unknown-kind';
  const instance = new (Model as new (data: unknown) => { validate(): void })(obj);
  instance.validate();
  return 'valid';
}
