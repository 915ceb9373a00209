import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { checkCondition, checkNotificationsCm, findingSeverity, type FindingRule } from '../../../src/argocd/check-notifications-cm.js';
import { generateOptionsSchema } from '../../../src/argocd/generate-options.js';
import { TOKEN_PLACEHOLDER, generateNotificationsConfig } from '../../../src/argocd/notifications-config.js';

const NAIVE = fileURLToPath(new URL('../../contract/fixtures/naive-notifications-cm.yaml', import.meta.url));

function generated(): Record<string, string> {
  const opts = generateOptionsSchema.parse({
    url: 'http://hook-alerts.argocd.svc:8080',
    serviceName: 'hook-alerts',
    secretKey: 'hook-alerts-token',
    hookTypes: ['PreSync'],
    subscribe: { mode: 'all' },
  });
  return Object.fromEntries(generateNotificationsConfig(opts).entries.map((e) => [e.key, e.value]));
}

function rules(data: Record<string, string>, secret?: Record<string, string>): FindingRule[] {
  return checkNotificationsCm(data, { serviceName: 'hook-alerts', ...(secret === undefined ? {} : { secret }) }).map((f) => f.rule);
}

function withTemplateBody(body: string, extra: Record<string, unknown> = {}): Record<string, string> {
  return {
    ...generated(),
    'template.hook-alerts-hook-failed': stringify({ webhook: { 'hook-alerts': { method: 'POST', path: '/v1/argocd/events', body, ...extra } } }),
  };
}

t.test('the naive ConfigMap: string interpolation, oncePer, `in` on hookType, no nil guard', async (t) => {
  const data = (parse(readFileSync(NAIVE, 'utf8')) as { data: Record<string, string> }).data;
  const found = checkNotificationsCm(data, { serviceName: 'hook-alerts' });
  const byRule = new Set(found.map((f) => f.rule));
  for (const rule of ['interpolated-string', 'once-per', 'nil-unsafe-in', 'nil-guard-missing'] as const) {
    t.ok(byRule.has(rule), `flags ${rule}`);
  }
  t.ok(found.some((f) => f.rule === 'nil-unsafe-in' && f.message.includes('#.hookType')), 'names #.hookType');
  t.equal(found.filter((f) => f.rule === 'interpolated-string').length, 6, 'one finding per interpolated value');
  t.ok(found.every((f) => f.message.length > 40), 'every finding says what to do');
});

t.test('the generated ConfigMap is clean, also with its secret set', async (t) => {
  t.same(rules(generated()), []);
  t.same(rules(generated(), { 'hook-alerts-token': 'a-real-token-0123456789' }), []);
});

t.test('secret: missing key and placeholder', async (t) => {
  t.same(rules(generated(), { other: 'x' }), ['secret-key-missing']);
  t.same(rules(generated(), { 'hook-alerts-token': TOKEN_PLACEHOLDER }), ['secret-placeholder']);
  t.same(rules(generated(), { 'hook-alerts-token': ' ' }), ['secret-placeholder']);
});

t.test('service: missing, literal token, no auth, no content type, bad URL', async (t) => {
  const data = generated();
  delete data['service.webhook.hook-alerts'];
  t.same(rules(data), ['service-missing', 'template-service-missing', 'template-service-missing', 'template-service-missing']);
  const svc = (value: unknown): Record<string, string> => ({ ...generated(), 'service.webhook.hook-alerts': stringify(value) });
  const ct = { name: 'Content-Type', value: 'application/json' };
  t.same(rules(svc({ url: 'http://x:8080', headers: [ct, { name: 'Authorization', value: 'Bearer abc' }] })), ['service-secret-literal']);
  t.same(rules(svc({ url: 'http://x:8080', headers: [ct] })), ['service-no-auth']);
  t.same(rules(svc({ url: 'http://x:8080', headers: [{ name: 'authorization', value: 'Bearer $t' }] })), ['service-content-type']);
  t.same(rules(svc({ url: 'x:8080', headers: [ct, { name: 'Authorization', value: 'Bearer $t' }] })), ['service-url']);
  t.same(rules({ ...generated(), 'service.webhook.hook-alerts': 'url: [' }), ['yaml-invalid']);
});

t.test('template: method, path, missing service of another template, missing template of a trigger', async (t) => {
  const body = (parse(generated()['template.hook-alerts-hook-failed'] ?? '') as { webhook: Record<string, { body: string }> }).webhook['hook-alerts']?.body ?? '';
  t.same(rules(withTemplateBody(body, { method: undefined })), ['template-method']);
  t.same(rules(withTemplateBody(body, { method: 'get' })), ['template-method']);
  t.same(rules(withTemplateBody(body, { path: '/events' })), ['template-path']);
  t.same(rules({ ...generated(), 'template.other': stringify({ webhook: { elsewhere: { method: 'POST', body: '{}' } } }) }), [
    'template-service-missing',
  ]);
  t.same(rules({ ...generated(), 'trigger.mine': stringify([{ when: 'true', send: ['nope'] }]) }), ['trigger-template-missing']);
});

t.test('body: missing toJson, interpolation, not JSON, contract fields', async (t) => {
  const ok = '{"version": 1, "event": "hook-failed", "app": {"name": {{toJson .app.metadata.name}}, "namespace": {{ .app.metadata.namespace | toJson }}}, "operationState": {{- toJson .app.status.operationState -}}}';
  t.same(rules(withTemplateBody(ok)), []);
  t.same(rules(withTemplateBody(ok.replace('{{toJson .app.metadata.name}}', '{{.app.metadata.name}}'))), ['no-tojson']);
  t.same(rules(withTemplateBody(ok.replace('{{toJson .app.metadata.name}}', '{{toJson .app.metadata.name | quote}}'))), ['no-tojson']);
  t.same(rules(withTemplateBody(ok.replace('{{toJson .app.metadata.name}}', '"{{.app.metadata.name}}"'))), ['interpolated-string']);
  t.same(rules(withTemplateBody(ok.replace('{{toJson .app.metadata.name}}', '"x-{{toJson .app.metadata.name}}"'))), ['interpolated-string']);
  t.same(rules(withTemplateBody(`${ok},`)), ['body-not-json']);
  t.same(rules(withTemplateBody(ok.replace('"version": 1', '"version": 2'))), ['body-contract']);
  t.same(rules(withTemplateBody(ok.replace(', "operationState": {{- toJson .app.status.operationState -}}', ''))), ['body-contract']);
  t.same(rules(withTemplateBody('')), ['body-not-json']);
  const guarded = ok.replace('{{- toJson .app.status.operationState -}}', '{{if kindIs "map" .x}}{"phase": {{toJson .x.phase}}}{{else}}{{toJson .x}}{{end}}');
  t.same(rules(withTemplateBody(guarded)), [], 'control actions: the first branch of each if is checked');
  t.same(rules(withTemplateBody(guarded.replace('{"phase"', '{"phase":'))), ['body-not-json'], 'a broken first branch is found');
});

t.test('trigger conditions: nil safety heuristics', async (t) => {
  const r = (when: string): FindingRule[] => checkCondition('trigger.x', when).map((f) => f.rule);
  t.same(r("app.status.operationState != nil && app.status.operationState.phase == 'Failed'"), []);
  t.same(r("app.status.operationState.phase == 'Failed'"), ['nil-guard-missing']);
  t.same(r("app.status.operationState.phase == 'Failed' && app.status.operationState != nil"), ['nil-guard-missing'], 'guard after the access does not help');
  t.same(r('app.status.operationState?.phase == "Failed"'), ['optional-chaining']);
  t.same(r("app.status.operationState != nil && app.status.operationState.syncResult != nil && any(app.status.operationState.syncResult.resources, {#.hookType == 'PreSync'})"), ['nil-guard-missing'], 'resources unguarded');
  t.same(r("app.status.operationState != nil && app.status.operationState.syncResult != nil && app.status.operationState.syncResult.resources != nil && any(app.status.operationState.syncResult.resources, {#.hookType in ['PreSync']})"), ['nil-unsafe-in']);
  t.same(r("app.status.operationState != nil && app.status.operationState.syncResult != nil && app.status.operationState.syncResult.resources != nil && any(app.status.operationState.syncResult.resources, {#.hookType != nil && #.hookType in ['PreSync']})"), [], 'in after an explicit guard is fine');
  t.same(r("app.status.operationState != nil && any(app.status.operationState.syncResult.resources, {#.hookType"), ['when-truncated', 'nil-guard-missing', 'nil-guard-missing'], 'a when cut at " #" by YAML');
  t.same(r("app.metadata.name == 'a(b'"), [], 'brackets inside strings do not count');
});

t.test('`?.` and `in` on a nil field are warnings naming the Argo CD and expr versions they break', async (t) => {
  const [chain] = checkCondition('trigger.x', 'app.status.operationState?.phase == "Failed"');
  t.equal(chain === undefined ? undefined : findingSeverity(chain.rule), 'warning');
  t.match(chain?.message, /Argo CD 2\.5 and older \(expr 1\.8\.9\)/);
  t.match(chain?.message, /parses from 1\.9\.0/);
  const [inNil] = checkCondition('trigger.x', "app.status.operationState != nil && app.status.operationState.syncResult != nil && app.status.operationState.syncResult.resources != nil && any(app.status.operationState.syncResult.resources, {#.hookType in ['PreSync']})");
  t.equal(inNil === undefined ? undefined : findingSeverity(inNil.rule), 'warning');
  t.match(inNil?.message, /Argo CD 2\.7 and older \(antonmedv\/expr 1\.11 and older/);
  t.match(inNil?.message, /2\.8 and newer \(expr 1\.12\.5\+\)/);
  t.equal(findingSeverity('nil-guard-missing'), 'error', 'a missing nil guard breaks every version');
});

t.test('only our triggers get the oncePer / nil checks; no trigger at all is a finding', async (t) => {
  const theirs = { ...generated(), 'trigger.on-sync-failed': stringify([{ when: "app.status.operationState.phase in ['Error']", oncePer: 'x', send: [] }]) };
  t.same(rules(theirs), []);
  const ours = { ...generated(), 'trigger.on-hook-failed': stringify([{ when: 'true', oncePer: 'app.metadata.name', send: ['hook-alerts-hook-failed'] }]) };
  t.same(rules(ours), ['once-per']);
  const none = Object.fromEntries(Object.entries(generated()).filter(([k]) => !k.startsWith('trigger.')));
  t.same(rules(none), ['no-trigger']);
});

t.test('a function Argo CD 3.5 does not define, in any template, is an error: Argo CD refuses the whole ConfigMap', async (t) => {
  const data = {
    ...generated(),
    'template.app-deployed': stringify({
      message: 'Deployed by {{ slackUserByEmail .app.metadata.annotations.owner }} {{/* slackChannel in a comment */}}',
      slack: { attachments: '[{"title": {{ .app.metadata.name | toJson }}, "footer": "{{ slackChannel "ops" | quote }} {{printf "%s" "slackUserGroup"}}"}]' },
    }),
  };
  const found = checkNotificationsCm(data, { serviceName: 'hook-alerts' }).filter((f) => f.rule === 'template-function-unknown');
  t.same(
    found.map((f) => f.key),
    ['template.app-deployed message', 'template.app-deployed slack.attachments'],
    'every template of the ConfigMap, every field; comments, strings, fields and variables are not calls',
  );
  t.match(found[0]?.message, /calls slackUserByEmail, which Argo CD 3\.5 does not define .*unmerged notifications-engine branches/);
  t.match(found[1]?.message, /calls slackChannel/);
  t.equal(findingSeverity('template-function-unknown'), 'error');
  t.same(rules(generated()), [], 'the generated templates call only toJson, kindIs, has, list, add1, ne, lt');
});
