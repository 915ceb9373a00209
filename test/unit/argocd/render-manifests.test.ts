import t from 'tap';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { generateOptionsSchema, type GenerateOptions } from '../../../src/argocd/generate-options.js';
import { TOKEN_PLACEHOLDER, generateNotificationsConfig, subscriptionsValue } from '../../../src/argocd/notifications-config.js';
import { KUSTOMIZE_FILES, renderHelmValues, renderKustomize, renderOperatorPatch, renderPatch } from '../../../src/argocd/render-manifests.js';

function config(over: Partial<GenerateOptions> = {}): ReturnType<typeof generateNotificationsConfig> {
  return generateNotificationsConfig(
    generateOptionsSchema.parse({
      url: 'https://alerts.example.com',
      serviceName: 'hook-alerts',
      secretKey: 'hook-alerts-token',
      hookTypes: ['PreSync'],
      subscribe: { mode: 'all' },
      ...over,
    }),
  );
}

type Doc = { kind: string; metadata: { name: string }; data?: Record<string, string>; stringData?: Record<string, string> };

function docs(text: string): Doc[] {
  const all = parseAllDocuments(text);
  if (!Array.isArray(all)) throw new Error('no documents');
  for (const d of all) if (d.errors.length > 0) throw new Error(d.errors.map((e) => e.message).join('; '));
  return all.map((d) => d.toJS() as Doc);
}

t.test('patch: a ConfigMap patch with only our keys and a Secret entry with the placeholder', async (t) => {
  const c = config();
  const subs = subscriptionsValue([c.subscription]);
  const [cm, secret, ...rest] = docs(renderPatch(c, { subscriptions: subs, subscriptionsMerged: false }));
  t.equal(rest.length, 0);
  t.equal(cm?.kind, 'ConfigMap');
  t.equal(cm?.metadata.name, 'argocd-notifications-cm');
  t.same(Object.keys(cm?.data ?? {}), [...c.entries.map((e) => e.key), 'subscriptions']);
  t.same(parse(cm?.data?.subscriptions ?? ''), [c.subscription]);
  t.equal(secret?.kind, 'Secret');
  t.same(secret?.stringData, { 'hook-alerts-token': TOKEN_PLACEHOLDER });
});

t.test('patch with --subscribe none: no subscriptions key, the annotations in the comments', async (t) => {
  const c = config({ subscribe: { mode: 'none' }, recipient: 'team-db' });
  const text = renderPatch(c, { subscriptions: null, subscriptionsMerged: false });
  const [cm] = docs(text);
  t.notOk(cm?.data?.subscriptions);
  t.match(text, /# +notifications\.argoproj\.io\/subscribe\.on-hook-failed\.hook-alerts: "team-db"/);
  t.match(text, /# +notifications\.argoproj\.io\/subscribe\.hook-alerts: "team-db"/);
  t.notMatch(text, /subscriptions: REPLACES/, 'no warning about a key that is not set');
});

t.test('kustomize: a Component that patches the ConfigMap only; the secret file is not referenced', async (t) => {
  const files = renderKustomize(config({ subscribe: { mode: 'none' } }), { subscriptions: null, subscriptionsMerged: false });
  t.same([...files.keys()], [KUSTOMIZE_FILES.kustomization, KUSTOMIZE_FILES.configMap, KUSTOMIZE_FILES.secret, KUSTOMIZE_FILES.subscription]);
  const k = parse(files.get(KUSTOMIZE_FILES.kustomization) ?? '') as { kind: string; patches: { path: string }[] };
  t.equal(k.kind, 'Component');
  t.same(k.patches, [{ path: KUSTOMIZE_FILES.configMap }]);
  const app = parse(files.get(KUSTOMIZE_FILES.subscription) ?? '') as { kind: string; metadata: { annotations: Record<string, string> } };
  t.equal(app.kind, 'Application');
  t.equal(Object.keys(app.metadata.annotations).length, 3);
  const withSubs = renderKustomize(config(), { subscriptions: 'x', subscriptionsMerged: false });
  t.notOk(withSubs.has(KUSTOMIZE_FILES.subscription), 'no Application example when the ConfigMap subscribes');
});

type StringMap = Record<string, string>;

/** `toYaml . | nindent n` of Helm: the YAML of a value, every line indented by n, after a newline. */
function toYamlNindent(value: unknown, n: number): string {
  const pad = ' '.repeat(n);
  return `\n${stringify(value, { lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n')}`;
}

/**
 * The data of argocd-notifications-cm as argo-helm renders it (charts/argo-cd 10.1.1,
 * templates/argocd-configs/argocd-notifications-cm.yaml): `context` from notifications.argocdUrl, then each of
 * notifiers, subscriptions (under a `subscriptions: |` key), templates and triggers, when set, through
 * `toYaml | nindent`; the text is then read as Kubernetes reads the manifest.
 */
function renderChartConfigMapData(valuesText: string): StringMap {
  const values = parse(valuesText) as { notifications: { notifiers?: StringMap; subscriptions?: unknown[]; templates?: StringMap; triggers?: StringMap } };
  const n = values.notifications;
  let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-notifications-cm\ndata:\n  context: |\n    argocdUrl: https://argocd.example.com';
  if (n.notifiers !== undefined && Object.keys(n.notifiers).length > 0) text += toYamlNindent(n.notifiers, 2);
  if (n.subscriptions !== undefined && n.subscriptions.length > 0) text += `\n  subscriptions: |${toYamlNindent(n.subscriptions, 4)}`;
  if (n.templates !== undefined && Object.keys(n.templates).length > 0) text += toYamlNindent(n.templates, 2);
  if (n.triggers !== undefined && Object.keys(n.triggers).length > 0) text += toYamlNindent(n.triggers, 2);
  const cm = parse(`${text}\n`) as { data: StringMap };
  return cm.data;
}

/** The data of the patch output without the key the chart adds on its own. */
function withoutContext(data: StringMap): StringMap {
  return Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'context'));
}

const HELM_CASES: [string, Partial<GenerateOptions>][] = [
  ['--subscribe none', { subscribe: { mode: 'none' } }],
  [
    '--subscribe selector, all hook types, --stuck-minutes',
    { subscribe: { mode: 'selector', selector: 'team=payments' }, hookTypes: ['PreSync', 'Sync', 'PostSync', 'SyncFail'], stuckMinutes: 20, recipient: 'team-db' },
  ],
];
for (const [name, over] of HELM_CASES) {
  t.test(`helm-values (${name}): the chart renders the same ConfigMap data as the patch, and the secret item`, async (t) => {
    const c = config(over);
    const ctx = { subscriptions: c.subscription === null ? null : subscriptionsValue([c.subscription]), subscriptionsMerged: false };
    const [cm] = docs(renderPatch(c, ctx));
    const patchData = cm?.data ?? {};
    const valuesText = renderHelmValues(c, ctx);
    const chartData = withoutContext(renderChartConfigMapData(valuesText));
    t.same(Object.keys(chartData).sort(), Object.keys(patchData).sort(), 'the same keys');
    for (const [key, value] of Object.entries(patchData)) {
      if (key === 'subscriptions') t.same(parse(chartData[key] ?? ''), parse(value), 'subscriptions: the same list');
      else t.equal(chartData[key], value, `${key}: the same text`);
    }
    const values = parse(valuesText) as { notifications: Record<string, unknown> };
    t.same(Object.keys(values.notifications), ['notifiers', 'templates', 'triggers', ...(c.subscription === null ? [] : ['subscriptions']), 'secret']);
    t.same(values.notifications.secret, { items: { 'hook-alerts-token': TOKEN_PLACEHOLDER } });
    t.match(valuesText, /^# +helm upgrade .* --set-string notifications\.secret\.items\.hook-alerts-token="\$HOOK_ALERTS_TOKEN"$/m);
  });
}

t.test('operator: the NotificationsConfiguration spec holds the same keys and values as the patch', async (t) => {
  const c = config({ subscribe: { mode: 'all' } });
  const ctx = { subscriptions: subscriptionsValue([c.subscription]), subscriptionsMerged: false };
  const [cm] = docs(renderPatch(c, ctx));
  const [nc, ...rest] = docs(renderOperatorPatch(c, ctx)) as unknown as { kind: string; metadata: { name: string }; spec: Record<string, StringMap> }[];
  t.equal(rest.length, 0);
  t.equal(nc?.kind, 'NotificationsConfiguration');
  t.equal(nc?.metadata.name, 'default-notifications-configuration');
  // The operator copies every map of the spec into the ConfigMap's data (argocd-operator configmap.go).
  const merged: StringMap = {};
  for (const group of ['services', 'templates', 'triggers', 'subscriptions']) Object.assign(merged, nc?.spec[group]);
  t.same(merged, cm?.data);
});
