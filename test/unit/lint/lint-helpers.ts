import { lintManifests } from '../../../src/lint/lint-manifests.js';
import type { LintFinding } from '../../../src/lint/lint-finding.js';
import { parseManifests } from '../../../src/lint/parse-manifests.js';

/** Lint an inline YAML stream; fails loudly if the YAML itself is broken. */
export function lintYaml(text: string): LintFinding[] {
  const parsed = parseManifests(text, 'inline.yaml');
  if (parsed.problems.length > 0) throw new Error(`test YAML is invalid: ${parsed.problems.join('; ')}`);
  return lintManifests(parsed.objects);
}

/** Rule ids of findings, sorted, for exact comparisons. */
export function ruleIds(findings: readonly LintFinding[]): string[] {
  return findings.map((f) => f.ruleId).sort();
}

/** A hook Job that passes every Job rule, so a test sees only the rule it is about. */
export function hookJob(opts: { name?: string; annotations?: Record<string, string>; podSpec?: string; kind?: 'Job' | 'Pod' } = {}): string {
  const annotations = opts.annotations ?? { 'argocd.argoproj.io/hook': 'PreSync' };
  const ann = Object.entries(annotations)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  const pod = opts.podSpec ?? '';
  if (opts.kind === 'Pod') {
    return `apiVersion: v1
kind: Pod
metadata:
  name: ${opts.name ?? 'migrate'}
  annotations:
${ann}
spec:
  activeDeadlineSeconds: 600
  restartPolicy: Never
  containers:
    - name: migrate
      image: ghcr.io/acme/app:1.2.3
${pod}`;
  }
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${opts.name ?? 'migrate'}
  annotations:
${ann}
spec:
  activeDeadlineSeconds: 600
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: ghcr.io/acme/app:1.2.3
${pod}`;
}

/** A Secret with the given annotations. */
export function secret(name: string, annotations: Record<string, string> = {}, apiVersion = 'v1', kind = 'Secret'): string {
  const ann = Object.entries(annotations)
    .map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  return `apiVersion: ${apiVersion}
kind: ${kind}
metadata:
  name: ${name}
${ann === '' ? '' : `  annotations:\n${ann}\n`}stringData:
  k: v
`;
}

/** Container-level envFrom lines for the hookJob container (Job indentation). */
export const envFromSecret = (name: string, extra = ''): string => `          envFrom:
            - secretRef:
                name: ${name}
${extra}`;
