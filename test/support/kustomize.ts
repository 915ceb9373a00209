import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

/** Whether kubectl (with its built-in kustomize) is on this machine. */
export function hasKubectl(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
}

/** Render a kustomization directory with `kubectl kustomize` and parse every object. */
export function kustomize(dir: string): KubeObject[] {
  const res = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${res.stderr}`);
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
