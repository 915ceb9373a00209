import { stringify } from 'yaml';
import type { NotificationsConfig } from './notifications-config.js';

const CONFIGMAP_NAME = 'argocd-notifications-cm';
const SECRET_NAME = 'argocd-notifications-secret';

const YAML_OPTIONS = { lineWidth: 0 } as const;

/** File names of the kustomize component, in the order they are written. */
export const KUSTOMIZE_FILES = {
  kustomization: 'kustomization.yaml',
  configMap: 'argocd-notifications-cm.yaml',
  secret: 'argocd-notifications-secret.yaml',
  subscription: 'application-subscription.yaml',
} as const;

/** The strategic-merge patch of argocd-notifications-cm: only our keys, so nothing else is replaced. */
export function configMapPatch(config: NotificationsConfig, subscriptions: string | null): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (const entry of config.entries) data[entry.key] = entry.value;
  if (subscriptions !== null) data.subscriptions = subscriptions;
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CONFIGMAP_NAME }, data };
}

/** The secret entry the webhook service references, with a placeholder: never a real token. */
function secretPatch(config: NotificationsConfig): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET_NAME },
    type: 'Opaque',
    stringData: { [config.secret.key]: config.secret.placeholder },
  };
}

function comment(lines: string[]): string {
  return lines.map((l) => (l === '' ? '#' : `# ${l}`)).join('\n');
}

/** Shell command that sets the token from $HOOK_ALERTS_TOKEN without writing it to a file. */
function tokenCommand(config: NotificationsConfig): string {
  return `kubectl -n argocd patch secret ${SECRET_NAME} --type merge -p '{"stringData":{"${config.secret.key}":"'"$HOOK_ALERTS_TOKEN"'"}}'`;
}

function annotationLines(config: NotificationsConfig): string[] {
  const first = Object.values(config.annotations)[0] ?? '<recipient>';
  return [
    'Subscribe an Application by annotation (the value is the recipient: the routing key of the service;',
    'several recipients are separated by ";"):',
    '  metadata:',
    '    annotations:',
    ...Object.entries(config.annotations).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`),
    `or with one annotation for every trigger above (defaultTriggers.${config.serviceName}):`,
    `      notifications.argoproj.io/subscribe.${config.serviceName}: ${JSON.stringify(first)}`,
  ];
}

function headerLines(config: NotificationsConfig, subscriptionsSet: boolean, subscriptionsMerged: boolean): string[] {
  const lines = [
    'argocd-hook-alerts: Argo CD notifications for failed sync hooks (argocd-hook-alerts generate argocd).',
    '',
    `Document 1 is a strategic-merge patch of ${CONFIGMAP_NAME}: it adds or updates only the keys below`,
    'and leaves every other trigger, template and service as it is. Keys:',
    ...config.entries.map((e) => `  ${e.key}: ${e.purpose}`),
  ];
  if (subscriptionsSet) {
    lines.push(
      subscriptionsMerged
        ? '  subscriptions: your existing subscriptions plus ours (merged from --existing-cm)'
        : '  subscriptions: REPLACES the whole subscriptions list of the ConfigMap; if it has entries, re-run with --existing-cm FILE to keep them',
    );
  }
  lines.push(
    `Apply it: kubectl -n argocd patch configmap ${CONFIGMAP_NAME} --type strategic --patch-file <document 1>`,
    '',
    `Document 2 names the token entry of ${SECRET_NAME}; its value is a placeholder. Set the real token,`,
    'the same as the service\'s HOOK_ALERTS_TOKEN, without writing it to a file:',
    `  ${tokenCommand(config)}`,
  );
  if (config.subscription === null) lines.push('', ...annotationLines(config));
  return lines;
}

/** Options of the rendered output that come from outside the generator. */
export interface RenderContext {
  /** The `subscriptions` value to set, or null to leave the ConfigMap's subscriptions alone. */
  subscriptions: string | null;
  /** The value holds the user's existing entries too (from --existing-cm). */
  subscriptionsMerged: boolean;
}

/** `--output patch`: two YAML documents (ConfigMap patch, Secret entry) with instructions in comments. */
export function renderPatch(config: NotificationsConfig, ctx: RenderContext): string {
  return [
    comment(headerLines(config, ctx.subscriptions !== null, ctx.subscriptionsMerged)),
    stringify(configMapPatch(config, ctx.subscriptions), YAML_OPTIONS).trimEnd(),
    '---',
    stringify(secretPatch(config), YAML_OPTIONS),
  ].join('\n');
}

/** `--output kustomize=DIR`: the files of a kustomize Component, by file name. */
export function renderKustomize(config: NotificationsConfig, ctx: RenderContext): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    KUSTOMIZE_FILES.kustomization,
    [
      comment([
        'argocd-hook-alerts: Argo CD notifications for failed sync hooks (argocd-hook-alerts generate argocd).',
        'Add this directory to the `components:` of the kustomization that installs Argo CD.',
        `The token entry stays out of the patches so that a placeholder never replaces a real token: set it with`,
        `  ${tokenCommand(config)}`,
        `or manage ${SECRET_NAME} with your secret manager (${KUSTOMIZE_FILES.secret} shows the key).`,
        ...(ctx.subscriptions !== null && !ctx.subscriptionsMerged
          ? [`${KUSTOMIZE_FILES.configMap} sets data.subscriptions, which replaces the ConfigMap's whole list.`]
          : []),
      ]),
      stringify(
        {
          apiVersion: 'kustomize.config.k8s.io/v1alpha1',
          kind: 'Component',
          patches: [{ path: KUSTOMIZE_FILES.configMap }],
        },
        YAML_OPTIONS,
      ),
    ].join('\n'),
  );
  files.set(KUSTOMIZE_FILES.configMap, stringify(configMapPatch(config, ctx.subscriptions), YAML_OPTIONS));
  files.set(
    KUSTOMIZE_FILES.secret,
    [
      comment(['Not referenced by kustomization.yaml: the value is a placeholder. Replace it in your secret manager.']),
      stringify(secretPatch(config), YAML_OPTIONS),
    ].join('\n'),
  );
  if (config.subscription === null) {
    files.set(
      KUSTOMIZE_FILES.subscription,
      [
        comment([
          'A strategic-merge patch for an Application that subscribes it to every generated trigger.',
          'Set the recipient (the routing key of argocd-hook-alerts) and the Application name.',
        ]),
        stringify(
          {
            apiVersion: 'argoproj.io/v1alpha1',
            kind: 'Application',
            metadata: { name: '<application>', annotations: config.annotations },
          },
          YAML_OPTIONS,
        ),
      ].join('\n'),
    );
  }
  return files;
}
