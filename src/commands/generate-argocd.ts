import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parse } from 'yaml';
import { describeError, errors } from '../errors.js';
import { hookTypeSchema } from '../model/hook-type.js';
import {
  DEFAULT_SECRET_KEY,
  DEFAULT_SERVICE_NAME,
  generateOptionsSchema,
  type GenerateOptions,
  type Subscribe,
} from '../argocd/generate-options.js';
import {
  generateNotificationsConfig,
  mergeSubscriptions,
  subscriptionsValue,
  type NotificationsConfig,
} from '../argocd/notifications-config.js';
import {
  configMapPatch,
  renderHelmValues,
  renderKustomize,
  renderOperatorPatch,
  renderPatch,
  type RenderContext,
} from '../argocd/render-manifests.js';
import { readManifestData } from '../argocd/read-manifest.js';
import { makeDirectory } from '../make-directory.js';

interface GenerateArgocdFlags {
  url: string;
  serviceName: string;
  secretKey: string;
  hookTypes: string[];
  subscribe: Subscribe;
  recipient?: string;
  output: Output;
  stuckMinutes?: number;
  existingCm?: string;
}

type Output = { kind: 'patch' } | { kind: 'helm-values' } | { kind: 'operator' } | { kind: 'kustomize'; dir: string };

/**
 * The generated templates send `.context.argocdUrl` (the alert's "Open in Argo CD" link); Argo CD's plain
 * install.yaml leaves the ConfigMap without a `context` key, and the patch must not set it (it would replace
 * the user's), so the output says so instead.
 */
const ARGOCD_URL_NOTE = [
  'The templates read context.argocdUrl (the "Open in Argo CD" link of each alert). If argocd-notifications-cm',
  'has no context key yet (the Helm chart sets it, install.yaml does not), add it, with your Argo CD URL:',
  '  data:',
  '    context: |',
  '      argocdUrl: https://argocd.example.com',
];

function parseHookTypes(value: string): string[] {
  const types = value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const unknown = types.filter((t) => !hookTypeSchema.safeParse(t).success);
  if (types.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(
      `expected a comma-separated list of ${hookTypeSchema.options.join(', ')}${unknown.length > 0 ? `; unknown: ${unknown.join(', ')}` : ''}`,
    );
  }
  return [...new Set(types)];
}

function parseSubscribe(value: string): Subscribe {
  if (value === 'all' || value === 'none') return { mode: value };
  const selector = /^selector=(.+)$/s.exec(value)?.[1]?.trim();
  if (selector !== undefined && selector !== '' && !/[\n\r]/.test(selector)) return { mode: 'selector', selector };
  throw new InvalidArgumentError('expected all, none or selector=<label selector>, e.g. selector=team=payments');
}

function parseOutput(value: string): Output {
  if (value === 'patch' || value === 'helm-values' || value === 'operator') return { kind: value };
  const dir = /^kustomize=(.+)$/.exec(value)?.[1];
  if (dir !== undefined && dir.trim() !== '') return { kind: 'kustomize', dir };
  throw new InvalidArgumentError('expected patch, helm-values, operator or kustomize=<directory>');
}

function parseMinutes(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of minutes, at least 1');
  return n;
}

function toOptions(flags: GenerateArgocdFlags): GenerateOptions {
  const result = generateOptionsSchema.safeParse({
    url: flags.url,
    serviceName: flags.serviceName,
    secretKey: flags.secretKey,
    hookTypes: flags.hookTypes,
    subscribe: flags.subscribe,
    recipient: flags.recipient,
    stuckMinutes: flags.stuckMinutes,
  });
  if (!result.success) {
    const flagOf: Record<string, string> = { serviceName: '--service-name', secretKey: '--secret-key', stuckMinutes: '--stuck-minutes' };
    const detail = result.error.issues
      .map((i) => {
        const field = String(i.path[0] ?? '');
        return `${flagOf[field] ?? `--${field}`}: ${i.message}`;
      })
      .join('; ');
    throw errors.usage(`generate argocd: ${detail}`);
  }
  return result.data;
}

/** The `subscriptions` value to write, merged with the user's current ConfigMap when given. */
function subscriptionsFor(config: NotificationsConfig, existingCm: string | undefined): RenderContext {
  if (config.subscription === null) return { subscriptions: null, subscriptionsMerged: false };
  if (existingCm === undefined) return { subscriptions: subscriptionsValue([config.subscription]), subscriptionsMerged: false };
  const data = readManifestData(existingCm, 'ConfigMap');
  let existing: unknown = [];
  if (data.subscriptions !== undefined) {
    try {
      existing = parse(data.subscriptions) ?? [];
    } catch (err) {
      throw errors.argocdInput(existingCm, `data.subscriptions is not valid YAML: ${describeError(err)}`);
    }
  }
  if (!Array.isArray(existing)) throw errors.argocdInput(existingCm, 'data.subscriptions is not a YAML list');
  const merged = mergeSubscriptions(existing, config.subscription, config.serviceName);
  return { subscriptions: subscriptionsValue(merged), subscriptionsMerged: true };
}

/** Tell (on stderr) which keys of the existing ConfigMap the patch changes, so nothing changes unseen. */
function reportReplacedKeys(config: NotificationsConfig, ctx: RenderContext, existingCm: string | undefined): void {
  if (existingCm === undefined) return;
  const existing = readManifestData(existingCm, 'ConfigMap');
  const patch = configMapPatch(config, ctx.subscriptions).data as Record<string, string>;
  for (const [key, value] of Object.entries(patch)) {
    if (existing[key] !== undefined && existing[key] !== value) {
      process.stderr.write(`note: the patch replaces the existing ${key} of ${existingCm}\n`);
    }
  }
}

function writeKustomize(dir: string, files: Map<string, string>): void {
  try {
    makeDirectory(dir);
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
  } catch (err) {
    throw errors.argocdOutput(dir, describeError(err));
  }
  process.stdout.write(`wrote a kustomize component to ${dir}: ${[...files.keys()].join(', ')}\n`);
  process.stdout.write(`${ARGOCD_URL_NOTE.join('\n')}\n`);
}

/** `generate argocd`: print the argocd-notifications-cm entries, the secret entry and subscriptions. */
export function registerGenerateArgocd(generate: Command): void {
  generate
    .command('argocd')
    .description('print the Argo CD notifications config (argocd-notifications-cm patch and secret entry) for this service')
    .requiredOption('--url <url>', 'base URL of argocd-hook-alerts as Argo CD reaches it, e.g. http://hook-alerts.argocd.svc:8080')
    .option('--service-name <name>', 'name of the webhook notification service', DEFAULT_SERVICE_NAME)
    .option('--secret-key <key>', 'key of argocd-notifications-secret that holds the token', DEFAULT_SECRET_KEY)
    .addOption(
      new Option('--hook-types <list>', 'hook types that alert: any of PreSync,Sync,PostSync,SyncFail,PreDelete,PostDelete (the delete hooks add a DeletionError trigger)')
        .argParser(parseHookTypes)
        .default(['PreSync'], 'PreSync'),
    )
    .addOption(
      new Option(
        '--subscribe <how>',
        'none (apps opt in by annotation; the output shows it) | all (every app) | selector=<label selector>; all and selector set the subscriptions key',
      )
        .argParser(parseSubscribe)
        .default({ mode: 'none' }, 'none'),
    )
    .option('--recipient <name>', 'recipient (routing key) of the ConfigMap subscription; default: none')
    .addOption(
      new Option(
        '--output <form>',
        'patch (ConfigMap patch on stdout) | helm-values (argo-helm notifications values) | operator (Argo CD Operator NotificationsConfiguration patch) | kustomize=<dir> (writes a kustomize Component)',
      )
        .argParser(parseOutput)
        .default({ kind: 'patch' }, 'patch'),
    )
    .addOption(new Option('--stuck-minutes <n>', 'also add on-hook-stuck: a hook still running n minutes after the sync started').argParser(parseMinutes))
    .option('--existing-cm <file>', 'current argocd-notifications-cm (kubectl get -o yaml): keep its subscriptions, list replaced keys')
    .action((flags: GenerateArgocdFlags) => {
      const opts = toOptions(flags);
      const config = generateNotificationsConfig(opts);
      const ctx = subscriptionsFor(config, flags.existingCm);
      reportReplacedKeys(config, ctx, flags.existingCm);
      switch (flags.output.kind) {
        case 'patch':
          process.stdout.write(renderPatch(config, ctx));
          process.stdout.write(ARGOCD_URL_NOTE.map((l) => `# ${l}`.trimEnd()).join('\n') + '\n');
          break;
        case 'helm-values':
          process.stdout.write(renderHelmValues(config, ctx));
          break;
        case 'operator':
          process.stdout.write(renderOperatorPatch(config, ctx));
          break;
        case 'kustomize':
          writeKustomize(flags.output.dir, renderKustomize(config, ctx));
          break;
      }
    });
}
