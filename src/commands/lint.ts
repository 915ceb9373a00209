import { Option, type Command } from 'commander';
import { exitCodeFor, type FailOn } from '../lint/lint-finding.js';
import { lintManifests } from '../lint/lint-manifests.js';
import { readManifests } from '../lint/read-manifests.js';
import { formatGithub } from '../lint/format/format-github.js';
import { formatJson } from '../lint/format/format-json.js';
import { formatText } from '../lint/format/format-text.js';

interface LintOptions {
  format: 'text' | 'json' | 'github';
  failOn: FailOn;
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off. */
function useColor(): boolean {
  const noColor = process.env.NO_COLOR;
  return process.stdout.isTTY === true && (noColor === undefined || noColor === '');
}

/** `lint PATH...`: check Kubernetes manifests for Argo CD hook (PreSync migration) pitfalls. */
export function registerLint(program: Command): void {
  program
    .command('lint')
    .description('check Kubernetes manifests for Argo CD hook pitfalls (PreSync migrations) before they reach a cluster')
    .argument('<paths...>', 'YAML files, directories (*.yaml/*.yml, recursively) or - for standard input; all together are one app')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'github']).default('text'))
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists')
        .choices(['error', 'warning', 'info', 'never'])
        .default('error'),
    )
    .addHelpText(
      'after',
      '\nExit status: 0 clean; 1 findings at or above --fail-on, or input that cannot be read, is invalid YAML or holds no Kubernetes object; 2 usage error.\nExamples:\n  argocd-hook-alerts lint deploy/\n  kustomize build overlays/prod | argocd-hook-alerts lint -\n  helm template my-release ./chart | argocd-hook-alerts lint --format github -\nRules: docs/lint-rules.md',
    )
    .action(async (paths: string[], opts: LintOptions) => {
      const { objects, files } = await readManifests(paths);
      const findings = lintManifests(objects);
      const scope = { files, objects: objects.length };
      const out =
        opts.format === 'json'
          ? formatJson(findings, scope)
          : opts.format === 'github'
            ? formatGithub(findings)
            : formatText(findings, scope, { color: useColor() });
      process.stdout.write(out);
      process.exitCode = exitCodeFor(findings, opts.failOn);
    });
}
