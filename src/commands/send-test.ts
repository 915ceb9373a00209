import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { contractV1Schema } from '../model/contract-v1.js';
import { toHookEvent } from '../intake/hook-event.js';
import { deliveryKindOf, type Alert } from '../model/alert.js';
import { diagnoseReport } from '../diagnose/diagnose-report.js';
import { parseTarget, type SinkName } from '../model/sink.js';
import type { Config } from '../config/schema.js';
import { errors, HookAlertsError, describeError } from '../errors.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot, readPackageFile } from '../package-files.js';
import { contractBodyFromApplication, sampleAlertReport } from './send-test-samples.js';

interface SendTestOptions {
  to: SinkName;
  fixture: string;
  config?: string;
}

const ALL_HOOK_TYPES = ['PreSync', 'Sync', 'PostSync', 'SyncFail'] as const;

// Trimmed Argo CD Applications in the states an alert is about, shipped in samples/applications/.
const SAMPLES_DIR = ['samples', 'applications'];

/** Names of the built-in sample Applications. */
function sampleNames(): string[] {
  return readdirSync(join(packageRoot(), ...SAMPLES_DIR))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

function fixtureError(message: string): HookAlertsError {
  return new HookAlertsError('HA_ERR_SEND_TEST_FIXTURE', message, { exitCode: 1 });
}

/** The Application to alert about: a built-in sample by name, or an Application JSON file. */
export function loadSampleApplication(fixture: string): unknown {
  if (sampleNames().includes(fixture)) return JSON.parse(readPackageFile(...SAMPLES_DIR, `${fixture}.json`)) as unknown;
  const howTo = `use one of ${sampleNames().join(', ')}, or the path of an Application JSON file (kubectl get application NAME -o json > app.json)`;
  // A name that is no sample is a wrong option value, like `--to pager`: a usage error (2). A file that
  // cannot be read or is no Application is invalid input (1).
  if (!fixture.endsWith('.json') && !fixture.includes('/')) throw errors.usage(`unknown fixture ${JSON.stringify(fixture)}: ${howTo}`);
  let text: string;
  try {
    text = readFileSync(fixture, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fixtureError(`cannot read --fixture ${fixture} (${code === 'ENOENT' ? 'no such file' : describeError(err)}): ${howTo}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw fixtureError(`--fixture ${fixture} is not valid JSON (${describeError(err)}): ${howTo}`);
  }
}

/** A realistic alert built from a fixture: the event Argo CD would send, a sample enrichment, its diagnosis. */
export function sampleAlert(fixture: string, now: Date): Alert {
  const body = contractV1Schema.safeParse(contractBodyFromApplication(loadSampleApplication(fixture)));
  if (!body.success) {
    const fields = body.error.issues.map((i) => `  - ${applicationField(i.path)}: ${i.message}`).join('\n');
    throw fixtureError(`--fixture ${fixture} is not an Argo CD Application this service can read (kubectl get application NAME -o json):\n${fields}`);
  }
  const result = toHookEvent(body.data, ALL_HOOK_TYPES, now);
  if (!('event' in result)) throw fixtureError(`--fixture ${fixture} produces no alert: ${result.ignored}`);
  const event = result.event;
  const report = event.hooks.length === 0 ? null : sampleAlertReport(event, now);
  return {
    // A fresh incident per run: a test mail must not share its Message-ID (or a Slack thread) with the last one.
    incidentId: `inc_sendtest_${now.getTime().toString(36)}`,
    deliveryKind: deliveryKindOf(event),
    event,
    report,
    findings: report === null ? [] : diagnoseReport(report),
  };
}

// Where each field of the webhook body comes from in the Application, for messages about a --fixture file.
const APPLICATION_FIELDS: Record<string, string> = {
  'app.name': 'metadata.name',
  'app.namespace': 'metadata.namespace',
  'app.uid': 'metadata.uid',
  'app.labels': 'metadata.labels',
  'app.annotations': 'metadata.annotations',
  'app.project': 'spec.project',
  'app.destination': 'spec.destination',
  'app.source': 'spec.source',
  'app.sources': 'spec.sources',
  operationState: 'status.operationState',
  sync: 'status.sync',
  health: 'status.health',
};

/** The Application's field behind a path of the webhook body. */
function applicationField(path: readonly PropertyKey[]): string {
  const keys = path.map(String);
  for (let n = keys.length; n > 0; n--) {
    const known = APPLICATION_FIELDS[keys.slice(0, n).join('.')];
    if (known !== undefined) return [known, ...keys.slice(n)].join('.');
  }
  return keys.join('.') || '(the whole file)';
}

function missingSettings(config: Config, to: SinkName): string | null {
  if (to === 'slack' && config.slack.token === undefined) return 'the Slack sink needs a bot token: set SLACK_BOT_TOKEN';
  if (to === 'email' && (config.email.smtpUrl === undefined || config.email.from === undefined)) {
    return 'the email sink needs SMTP_URL and EMAIL_FROM';
  }
  return null;
}

/**
 * `send-test`: send a realistic sample alert through the real router, renderers and sink, and print
 * where it went; exit 1 with the sink's message when a send fails.
 */
export function registerSendTest(program: Command): void {
  program
    .command('send-test')
    .description('send a realistic sample alert through the real sinks, to check the wiring and the look')
    .addOption(new Option('--to <sink>', 'where to send it').choices(['slack', 'email', 'file']).makeOptionMandatory())
    .option('--fixture <name|file>', `sample Application: ${sampleNames().join(', ')}, or an Application JSON file`, 'presync-job-failed')
    .option('-c, --config <file>', 'YAML config file (default: $HOOK_ALERTS_CONFIG)')
    .action(async (opts: SendTestOptions) => {
      const config = loadConfig({ file: opts.config });
      // The service log goes to stderr; stdout says where the alert went.
      const logger = createLogger(config.logging.level === 'info' ? 'warn' : config.logging.level, process.stderr);
      const missing = missingSettings(config, opts.to);
      if (missing !== null) throw new HookAlertsError('HA_ERR_SEND_TEST', missing, { exitCode: 1 });
      const alert = sampleAlert(opts.fixture, new Date());
      // Loaded here, not at the top: every other command (and --version, --help) starts without the service.
      const [{ createService }, { Metrics }] = await Promise.all([import('../main.js'), import('../metrics.js')]);
      // The service as `serve` wires it, with only the sink asked for, a store in memory (the data dir is
      // left alone) and no cluster to read (the sample alert brings its own report).
      const service = await createService(
        {
          ...config,
          dataDir: ':memory:',
          // The outbox stays where `serve` writes it, under the configured data dir.
          file: { ...config.file, dir: config.file.dir ?? join(config.dataDir, 'outbox') },
          kubernetes: { ...config.kubernetes, enabled: 'false' },
        },
        { logger, sinkNames: new Set<SinkName>([opts.to]), metrics: new Metrics({ defaultMetrics: false }) },
      );
      const failures: string[] = [];
      try {
        const targets = service.router.targets(alert.event);
        if (targets.length === 0) {
          const hint = opts.to === 'slack' ? 'set SLACK_CHANNEL or a routing rule with a Slack channel' : 'set EMAIL_TO or a routing rule with an email address';
          throw new HookAlertsError('HA_ERR_SEND_TEST', `no ${opts.to} target for app ${alert.event.app.name}: ${hint}`, { exitCode: 1 });
        }
        const sink = service.sinks.get(opts.to);
        if (sink === undefined) throw new HookAlertsError('HA_ERR_SEND_TEST', `the ${opts.to} sink could not be built`, { exitCode: 1 });
        let deliveryId = 0;
        for (const target of targets) {
          const { address } = parseTarget(target);
          const route = service.router.options(alert.event, target, { kind: alert.deliveryKind, threadRootRef: null });
          const outcome = await sink.send({ deliveryId: deliveryId++, address, attempt: 1, alert, threadRootRef: null, resumed: false, firstAttemptAt: Date.now(), route });
          if (outcome.status === 'sent') {
            process.stdout.write(`sent ${alert.deliveryKind} alert for ${alert.event.app.name} to ${target}${outcome.ref === null ? '' : ` (ref ${outcome.ref})`}\n`);
          } else {
            failures.push(`${target}: ${outcome.error}`);
          }
        }
      } finally {
        await service.close();
      }
      if (failures.length > 0) {
        throw new HookAlertsError('HA_ERR_SEND_TEST', `send-test failed:\n  ${failures.join('\n  ')}`, { exitCode: 1 });
      }
    });
}
