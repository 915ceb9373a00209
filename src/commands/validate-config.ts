import type { Command } from 'commander';
import { loadConfig, type JsonObject } from '../config/load-config.js';
import { configWarnings } from '../config/config-warnings.js';
import { errors } from '../errors.js';
import type { Config } from '../config/schema.js';
import { redactPostgresUrl } from '../store/postgres/pg-connection.js';

interface ValidateConfigOptions {
  config?: string;
  insecureNoAuth?: boolean;
  embeddedDefaults?: boolean;
}

/**
 * What `serve` checks of the clusters at start: a configured kubeconfig that cannot be loaded is a config
 * error (thrown), no cluster at all is the warning serve logs. Nothing is called on a cluster.
 */
async function clusterWarnings(config: Config): Promise<string[]> {
  const { ENRICHMENT_OFF_WARNING, enrichmentMayRun } = await import('../enrich/kube-config-source.js');
  if (!enrichmentMayRun(config.kubernetes, process.env)) return config.kubernetes.enabled === 'auto' ? [ENRICHMENT_OFF_WARNING] : [];
  const { ClusterRegistry } = await import('../enrich/cluster-registry.js');
  const { warning } = ClusterRegistry.fromConfig(config.kubernetes, process.env);
  return warning === null ? [] : [warning];
}

/** Which mode of the Application backstop `serve` would run: off, or on and where it watches. */
async function backstopMode(config: Config): Promise<string> {
  const backstop = config.kubernetes.backstop;
  if (!backstop.enabled) return 'off (kubernetes.backstop.enabled: false): alerts come from Argo CD\'s webhook only';
  const { enrichmentMayRun } = await import('../enrich/kube-config-source.js');
  if (!enrichmentMayRun(config.kubernetes, process.env)) return 'off: enabled, but Kubernetes is off (no cluster to watch)';
  return `on: watching Applications in ${backstop.namespaces.join(', ')} beside the webhook (needs list and watch on applications.argoproj.io there)`;
}

/**
 * `validate config`: load and check a config file the way `serve` would, without starting anything: the
 * same config errors, the same refusal without a token, the same warnings (on stderr).
 */
export function registerValidateConfig(validate: Command): void {
  validate
    .command('config')
    .description('check a config file (and the environment) the way serve would')
    .option('-c, --config <file>', 'YAML config file (default: $HOOK_ALERTS_CONFIG)')
    .option('--insecure-no-auth', 'as serve --insecure-no-auth: no webhook token needed')
    .option('--embedded-defaults', 'as serve --embedded-defaults: a missing token would be generated into the data dir')
    .action(async (opts: ValidateConfigOptions) => {
      const overrides: JsonObject = opts.insecureNoAuth === true ? { server: { insecureNoAuth: true } } : {};
      const config = loadConfig({ file: opts.config, overrides });
      if (config.server.token === undefined && !config.server.insecureNoAuth && opts.embeddedDefaults !== true) throw errors.noToken();
      const warnings = [...configWarnings(config), ...(await clusterWarnings(config))];
      for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      // Loaded here, not at the top: the sinks' clients (Slack, SMTP) are the heaviest part of the CLI.
      const { enabledSinkNames } = await import('../deliver/enabled-sinks.js');
      const sinks = [...enabledSinkNames(config)].join(', ');
      const { url } = config.store.postgres;
      // The URL without its password: it may be printed.
      const store = url === undefined ? `SQLite in ${config.dataDir}` : `PostgreSQL at ${redactPostgresUrl(url)}`;
      process.stdout.write(`config is valid; sinks on: ${sinks}; store: ${store}; Application backstop: ${await backstopMode(config)}\n`);
    });
}
