import { parse, stringify } from 'yaml';
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

/** Where argo-helm and the Argo CD Operator keep one key of argocd-notifications-cm. */
type EntryGroup = 'notifiers' | 'templates' | 'triggers';

/**
 * The group of a generated key: argo-helm (charts/argo-cd, templates/argocd-configs/argocd-notifications-cm.yaml)
 * writes `notifications.notifiers`, `.templates` and `.triggers` into the ConfigMap's data as they are, so the
 * group only decides where a reader looks for the key; `defaultTriggers.*` goes with the triggers.
 */
function entryGroup(key: string): EntryGroup {
  if (key.startsWith('service.')) return 'notifiers';
  if (key.startsWith('template.')) return 'templates';
  if (key.startsWith('trigger.') || key.startsWith('defaultTriggers.')) return 'triggers';
  throw new Error(`generated key ${key} belongs to no group of the argo-helm values: add it to entryGroup`);
}

function groupedEntries(config: NotificationsConfig): Record<EntryGroup, Record<string, string>> {
  const groups: Record<EntryGroup, Record<string, string>> = { notifiers: {}, templates: {}, triggers: {} };
  for (const entry of config.entries) groups[entryGroup(entry.key)][entry.key] = entry.value;
  return groups;
}

/** The `subscriptions` list of the context, parsed back from the ConfigMap value this module writes. */
function subscriptionList(ctx: RenderContext): unknown[] | null {
  if (ctx.subscriptions === null) return null;
  const list: unknown = parse(ctx.subscriptions);
  if (!Array.isArray(list)) throw new Error('the subscriptions value is not a YAML list');
  return list as unknown[];
}

/**
 * The values of the argo-helm chart (charts/argo-cd 10.x) that produce the same ConfigMap data as
 * `configMapPatch`: `notifications.notifiers`, `.templates`, `.triggers` (maps of ConfigMap keys),
 * `.subscriptions` (a list the chart writes as the `subscriptions` key) and `.secret.items` (the Secret's
 * stringData).
 */
export function helmValues(config: NotificationsConfig, ctx: RenderContext): Record<string, unknown> {
  const groups = groupedEntries(config);
  const subscriptions = subscriptionList(ctx);
  return {
    notifications: {
      notifiers: groups.notifiers,
      templates: groups.templates,
      triggers: groups.triggers,
      ...(subscriptions === null ? {} : { subscriptions }),
      secret: { items: { [config.secret.key]: config.secret.placeholder } },
    },
  };
}

/** Shell command that adds the values file and the token to the user's own `helm upgrade`. */
function helmCommand(config: NotificationsConfig): string {
  return `helm upgrade argocd argo/argo-cd -n argocd --reuse-values -f hook-alerts-values.yaml --set-string notifications.secret.items.${config.secret.key}="$HOOK_ALERTS_TOKEN"`;
}

/** `--output helm-values`: the argo-helm values, with how to apply them in comments. */
export function renderHelmValues(config: NotificationsConfig, ctx: RenderContext): string {
  const lines = [
    'argocd-hook-alerts: Argo CD notifications for failed sync hooks (argocd-hook-alerts generate argocd).',
    '',
    'Values of the argo-helm chart (argo/argo-cd). Save them as hook-alerts-values.yaml and add the file to',
    'the values of your release; notifiers, templates, triggers and secret.items are maps, which Helm merges',
    'with yours key by key. The token goes on the command line, never into the file, e.g.:',
    `  ${helmCommand(config)}`,
    `secret.items.${config.secret.key} holds a placeholder that the --set-string above replaces. If the chart does`,
    `not manage ${SECRET_NAME} (notifications.secret.create: false), delete the secret block and set the key`,
    'with your secret manager.',
  ];
  if (ctx.subscriptions !== null) {
    lines.push(
      ctx.subscriptionsMerged
        ? 'subscriptions: your existing subscriptions plus ours (merged from --existing-cm).'
        : 'subscriptions is a list: Helm REPLACES the whole list of your values with it; if you have subscriptions, re-run with --existing-cm FILE to keep them.',
    );
  } else {
    lines.push('', ...annotationLines(config));
  }
  lines.push(
    '',
    'The templates read context.argocdUrl, which the chart sets from notifications.argocdUrl, else https://<global.domain>:',
    'set notifications.argocdUrl if that is not the URL of your Argo CD.',
  );
  return [comment(lines), stringify(helmValues(config, ctx), YAML_OPTIONS)].join('\n');
}

const OPERATOR_CONFIGURATION_NAME = 'default-notifications-configuration';

/**
 * The merge patch of the Argo CD Operator's `NotificationsConfiguration` (argoproj.io/v1alpha1), whose
 * `spec.services`, `.templates`, `.triggers` and `.subscriptions` maps the operator copies into
 * argocd-notifications-cm, replacing any hand edit of the ConfigMap (argocd-operator
 * controllers/notificationsconfiguration/configmap.go).
 */
export function operatorPatch(config: NotificationsConfig, ctx: RenderContext): Record<string, unknown> {
  const groups = groupedEntries(config);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'NotificationsConfiguration',
    metadata: { name: OPERATOR_CONFIGURATION_NAME },
    spec: {
      services: groups.notifiers,
      templates: groups.templates,
      triggers: groups.triggers,
      ...(ctx.subscriptions === null ? {} : { subscriptions: { subscriptions: ctx.subscriptions } }),
    },
  };
}

/** `--output operator`: the NotificationsConfiguration merge patch, with how to apply it in comments. */
export function renderOperatorPatch(config: NotificationsConfig, ctx: RenderContext): string {
  const lines = [
    'argocd-hook-alerts: Argo CD notifications for failed sync hooks (argocd-hook-alerts generate argocd).',
    '',
    `A merge patch of the Argo CD Operator's NotificationsConfiguration ${OPERATOR_CONFIGURATION_NAME}, which the`,
    `operator copies into ${CONFIGMAP_NAME} (a patch of the ConfigMap itself would be reverted). A merge patch adds`,
    'or updates only the keys below. Apply it in the namespace of the ArgoCD resource:',
    `  kubectl -n argocd patch notificationsconfiguration ${OPERATOR_CONFIGURATION_NAME} --type merge --patch-file hook-alerts-operator.yaml`,
    `The token goes into ${SECRET_NAME}, which the operator creates empty:`,
    `  ${tokenCommand(config)}`,
  ];
  if (ctx.subscriptions !== null && !ctx.subscriptionsMerged) {
    lines.push('spec.subscriptions.subscriptions REPLACES the whole subscriptions list; re-run with --existing-cm FILE to keep yours.');
  }
  if (ctx.subscriptions === null) lines.push('', ...annotationLines(config));
  lines.push('', 'The templates read context.argocdUrl: set it in spec.context.argocdUrl if it is not set yet.');
  return [comment(lines), stringify(operatorPatch(config, ctx), YAML_OPTIONS)].join('\n');
}
