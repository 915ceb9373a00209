import type { Command } from 'commander';
import { CODE_ARGOCD_FINDINGS, withIssues } from '../errors.js';
import { DEFAULT_SERVICE_NAME } from '../argocd/generate-options.js';
import { checkNotificationsCm, findingSeverity } from '../argocd/check-notifications-cm.js';
import { readManifestData } from '../argocd/read-manifest.js';

interface ValidateArgocdFlags {
  cm: string;
  serviceName: string;
  secret?: string;
}

/** `validate argocd`: report each mistake in an argocd-notifications-cm that makes alerts fail silently. */
export function registerValidateArgocd(validate: Command): void {
  validate
    .command('argocd')
    .description('check an argocd-notifications-cm (generated or hand-edited) for mistakes that make alerts fail silently')
    .requiredOption('--cm <file>', 'argocd-notifications-cm YAML, e.g. from kubectl -n argocd get configmap argocd-notifications-cm -o yaml')
    .option('--service-name <name>', 'name of the webhook notification service of argocd-hook-alerts', DEFAULT_SERVICE_NAME)
    .option('--secret <file>', 'argocd-notifications-secret YAML: also check that the referenced token key is set')
    .action((flags: ValidateArgocdFlags) => {
      const data = readManifestData(flags.cm, 'ConfigMap');
      const secret = flags.secret === undefined ? undefined : readManifestData(flags.secret, 'Secret');
      const all = checkNotificationsCm(data, { serviceName: flags.serviceName, ...(secret === undefined ? {} : { secret }) });
      const warnings = all.filter((f) => findingSeverity(f.rule) === 'warning');
      const findings = all.filter((f) => findingSeverity(f.rule) === 'error');
      // Warnings first, on stderr, whatever the outcome: they matter only on the old Argo CD versions they name.
      for (const w of warnings) process.stderr.write(`warning: ${w.key}: ${w.message} [${w.rule}]\n`);
      if (findings.length > 0) {
        throw withIssues(
          CODE_ARGOCD_FINDINGS,
          400,
          `${flags.cm}: ${findings.length} problem(s) for webhook service "${flags.serviceName}"; each makes Argo CD fail silently or send what the service refuses:`,
          findings.map((f) => ({ path: f.key, message: `${f.message} [${f.rule}]` })),
        );
      }
      const suffix = warnings.length > 0 ? ` (${warnings.length} warning(s) for old Argo CD versions on stderr)` : '';
      process.stdout.write(`${flags.cm}: no problems found for webhook service "${flags.serviceName}"${suffix}\n`);
    });
}
