import { hookInfoOf, type HookInfo } from './hook-semantics.js';
import type { LintObjectRef, LintSeverity } from './lint-finding.js';
import { asRecord, asString, type FieldPath, type ManifestObject } from './manifest-object.js';
import { podSpecOf, type PodSpecAt } from './pod-spec.js';

/** A manifest object with everything rules ask about it computed once. */
export interface AnalyzedObject extends ManifestObject {
  ref: LintObjectRef;
  hook: HookInfo;
  /** The pod spec for workload kinds, else undefined. */
  pod: PodSpecAt | undefined;
}

/** What a rule reports; the linter adds the rule id, severity and location. */
export interface RuleHit {
  object: AnalyzedObject;
  /** Field the finding is about, from the object's root (used for the line number). */
  path: FieldPath;
  message: string;
  fix: string;
  /** Overrides the rule's severity for this hit (e.g. an `optional: true` reference). */
  severity?: LintSeverity;
}

/** A lint rule: its documentation and its check over all objects of the app. */
export interface LintRule {
  id: string;
  severity: LintSeverity;
  title: string;
  rationale: string;
  fix: string;
  check: (objects: readonly AnalyzedObject[]) => RuleHit[];
}

/** Compute the identity, hook semantics and pod spec of a manifest object. */
export function analyzeObject(manifest: ManifestObject): AnalyzedObject {
  const meta = asRecord(manifest.object.metadata);
  return {
    ...manifest,
    ref: {
      apiVersion: asString(manifest.object.apiVersion) ?? '',
      kind: asString(manifest.object.kind) ?? '',
      namespace: asString(meta?.namespace) ?? null,
      name: asString(meta?.name) ?? null,
      generateName: asString(meta?.generateName) ?? null,
    },
    hook: hookInfoOf(manifest.object),
    pod: podSpecOf(manifest.object),
  };
}

/** "Job payments/db-migrate", "Job schema-migrate-*" (generateName) for messages. */
export function describeObject(ref: LintObjectRef): string {
  const name = ref.name ?? (ref.generateName !== null ? `${ref.generateName}*` : '(unnamed)');
  return `${ref.kind} ${ref.namespace !== null ? `${ref.namespace}/` : ''}${name}`;
}

/**
 * Whether two objects can be in the same namespace. A manifest without `metadata.namespace` gets the
 * Application's destination namespace, which the linter cannot see, so it matches any namespace.
 */
export function sameNamespace(a: string | null, b: string | null): boolean {
  return a === null || b === null || a === b;
}

/** Whether the object is a hook Job or hook Pod that Argo CD will run at some point. */
export function isRunnableHookPod(o: AnalyzedObject): boolean {
  return o.hook.isHook && o.hook.types.length > 0 && (o.ref.kind === 'Job' || o.ref.kind === 'Pod') && o.pod !== undefined;
}

/** Whether the object is a workload the app runs as a plain (non-hook) resource. */
export function isAppWorkload(o: AnalyzedObject): boolean {
  return !o.hook.isHook && o.hook.phases.length > 0 && o.pod !== undefined;
}
