import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { hasKubectl, kustomize } from '../../support/kustomize.js';
import { REPO_ROOT } from '../../support/contract-bodies.js';
import { runToExit, runsOk } from '../../support/process-groups.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createService } from '../../../src/main.js';
import { Metrics } from '../../../src/metrics.js';
import { capturingLogger } from '../../support/log-capture.js';

// deploy/monitoring: the alert rules parse and fire when they should (promtool, from Debian's `prometheus`
// package, which .ci/run installs), and every metric the rules and the dashboard read is one the service
// exposes: a renamed metric would otherwise silence an alarm without a sign.

const COMPONENT = join(REPO_ROOT, 'deploy/monitoring');

/** Metric names (hook_alerts_*) an expression reads; histogram series map to their family. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bhook_alerts_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

async function exposedFamilies(): Promise<Set<string>> {
  const config = loadConfig({
    env: {
      HOOK_ALERTS_TOKEN: 'monitoring-token-0123456789',
      HOOK_ALERTS_DATA_DIR: ':memory:',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_CHANNEL: '#deploys',
    },
    overrides: { kubernetes: { enabled: 'false' }, worker: { enabled: false } },
  });
  const service = await createService(config, { logger: capturingLogger('warn').logger, metrics: new Metrics() });
  try {
    const text = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ''));
  } finally {
    await service.close();
  }
}

interface RuleGroups {
  groups: { name: string; rules: { alert?: string; expr: string }[] }[];
}

/** spec.groups of the PrometheusRule: a Prometheus rules file as it stands. */
function ruleGroups(): RuleGroups {
  return (parse(readFileSync(join(COMPONENT, 'prometheusrule.yaml'), 'utf8')) as { spec: RuleGroups }).spec;
}

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

const kubectl = await hasKubectl(t);
const promtool = await runsOk(t, 'promtool', ['--version']);

t.test('every metric the rules and the dashboard read is exposed by the service', async (t) => {
  const exposed = await exposedFamilies();
  const dashboard = JSON.parse(readFileSync(join(COMPONENT, 'grafana-dashboard.json'), 'utf8')) as Dashboard;
  const reads = [
    ...ruleGroups().groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert ?? '?'}`, expr: r.expr }))),
    ...dashboard.panels.flatMap((p) => p.targets.map((target) => ({ where: `panel "${p.title}"`, expr: target.expr }))),
  ];
  t.ok(dashboard.panels.length >= 6, `${dashboard.panels.length} dashboard panels`);
  for (const { where, expr } of reads) {
    for (const name of metricNames(expr)) t.ok(exposed.has(name), `${where} reads ${name}, which /metrics exposes`);
  }
});

if (!kubectl || !promtool) {
  const missing = [kubectl ? null : 'kubectl', promtool ? null : 'promtool (Debian package prometheus)'].filter(Boolean).join(' and ');
  if (process.env.CI !== undefined) t.fail(`${missing} required in CI to check deploy/monitoring (.ci/run installs promtool)`);
  else t.test('deploy/monitoring rules', { skip: `SKIPPED: ${missing} not installed, the alert rules were NOT checked` }, () => undefined);
} else {
  t.test('the rendered PrometheusRule passes promtool check and its unit tests', async (t) => {
    const objects = await kustomize(t, join(REPO_ROOT, 'deploy/examples/with-monitoring'));
    const rule = objects.find((o) => o.kind === 'PrometheusRule') as unknown as { spec: RuleGroups } | undefined;
    t.ok(rule, 'the component renders a PrometheusRule');
    t.ok(objects.some((o) => o.kind === 'ServiceMonitor'), 'and a ServiceMonitor');
    const dir = t.testdir({ 'rules.yaml': stringify(rule?.spec ?? {}) });
    writeFileSync(join(dir, 'alerts.test.yaml'), readFileSync(join(REPO_ROOT, 'test/fixtures/monitoring/alerts.test.yaml')));
    const check = await runToExit(t, 'promtool', ['check', 'rules', join(dir, 'rules.yaml')]);
    t.equal(check.code, 0, `promtool check rules: ${check.stdout}${check.stderr}`);
    const unit = await runToExit(t, 'promtool', ['test', 'rules', join(dir, 'alerts.test.yaml')]);
    t.equal(unit.code, 0, `promtool test rules: ${unit.stdout}${unit.stderr}`);
    const alerts = rule?.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)) ?? [];
    const tested = readFileSync(join(REPO_ROOT, 'test/fixtures/monitoring/alerts.test.yaml'), 'utf8');
    for (const alert of alerts) t.ok(alert !== undefined && tested.includes(`alertname: ${alert}`), `${alert ?? '?'} has a unit test`);
  });
}
