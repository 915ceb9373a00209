import type { LintFinding } from './lint-finding.js';
import { analyzeObject, type LintRule } from './lint-rule.js';
import type { ManifestObject } from './manifest-object.js';
import { hookAnnotationRules } from './rules/hook-annotation-rules.js';
import { hookReferenceRules } from './rules/hook-reference-rules.js';
import { hookWorkloadRules } from './rules/hook-workload-rules.js';

/** Every rule, in the order docs/lint-rules.md lists them. */
export const lintRules: readonly LintRule[] = [...hookReferenceRules, ...hookWorkloadRules, ...hookAnnotationRules];

/**
 * Check the objects of one application. All inputs are one app: a Secret in one file satisfies a Job in
 * another, as it would in one Argo CD sync.
 */
export function lintManifests(manifests: readonly ManifestObject[], rules: readonly LintRule[] = lintRules): LintFinding[] {
  const objects = manifests.map(analyzeObject);
  const position = new Map(objects.map((o, i) => [o, i]));
  const found: { at: number; finding: LintFinding }[] = [];
  for (const rule of rules) {
    for (const hit of rule.check(objects)) {
      found.push({
        at: position.get(hit.object) ?? 0,
        finding: {
          ruleId: rule.id,
          severity: hit.severity ?? rule.severity,
          file: hit.object.file,
          documentIndex: hit.object.documentIndex,
          itemIndex: hit.object.itemIndex,
          line: hit.object.lineOf(hit.path),
          helmSource: hit.object.helmSource,
          object: hit.object.ref,
          message: hit.message,
          fix: hit.fix,
        },
      });
    }
  }
  // Input order (file, document), then line, then rule: stable output for diffs and golden tests.
  found.sort((a, b) => a.at - b.at || a.finding.line - b.finding.line || a.finding.ruleId.localeCompare(b.finding.ruleId));
  return found.map((f) => f.finding);
}
