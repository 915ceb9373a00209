import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { generateOptionsSchema, type GenerateOptions } from '../../../src/argocd/generate-options.js';
import { TOKEN_PLACEHOLDER, generateNotificationsConfig, subscriptionsValue } from '../../../src/argocd/notifications-config.js';
import { KUSTOMIZE_FILES, renderKustomize, renderPatch } from '../../../src/argocd/render-manifests.js';

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
