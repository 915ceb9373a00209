import type { Command } from 'commander';
import { loadConfig, type JsonObject } from '../config/load-config.js';
import { ensureWebhookToken } from '../config/webhook-token-file.js';
import { createLogger } from '../logger.js';
import { errors } from '../errors.js';
import { configWarnings } from '../config/config-warnings.js';
import { ensureDataDirectory } from '../config/data-directory.js';
import { firstRunNotice, SAMPLE_EVENT } from './first-run.js';
import { enabledSinkNames } from '../deliver/enabled-sinks.js';

interface ServeOptions {
  config?: string;
  insecureNoAuth?: boolean;
  embeddedDefaults?: boolean;
}

/** `serve`: run the webhook receiver and the delivery worker until SIGTERM. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the webhook receiver and the delivery worker')
    .option('-c, --config <file>', 'YAML config file (default: $HOOK_ALERTS_CONFIG)')
    .option('--insecure-no-auth', 'accept webhook calls without a token (local use only)')
    .option('--embedded-defaults', 'generate a webhook token in the data dir if none is configured (what `npm start` uses)')
    .action(async (opts: ServeOptions) => {
      const overrides: JsonObject = opts.insecureNoAuth === true ? { server: { insecureNoAuth: true } } : {};
      let config = loadConfig({ file: opts.config, overrides });
      const logger = createLogger(config.logging.level);
      let embeddedTokenFile: string | null = null;
      if (config.server.token === undefined && !config.server.insecureNoAuth) {
        if (opts.embeddedDefaults !== true) throw errors.noToken();
        const generated = ensureWebhookToken(config.dataDir);
        config = loadConfig({ file: opts.config, overrides: { ...overrides, server: { token: generated.token } } });
        embeddedTokenFile = generated.file;
        logger.info(
          { tokenFile: generated.file, created: generated.created },
          `webhook token in ${generated.file}; call the service with: curl -H "Authorization: Bearer $(cat ${generated.file})" -H 'Content-Type: application/json' -d @${SAMPLE_EVENT.join('/')} http://localhost:${config.server.port}/v1/argocd/events`,
        );
      }
      if (config.server.insecureNoAuth) logger.warn('--insecure-no-auth: anyone who reaches this port can post events');
      for (const warning of configWarnings(config)) logger.warn(warning);
      ensureDataDirectory(config.dataDir);
      // Loaded here, not at the top: every other command (and --version, --help) starts without the service.
      const { startService } = await import('../main.js');
      const service = await startService(config, logger);
      // Printed whenever the token came from the embedded defaults, TTY or not: that is a local try by
      // definition (a deployment sets HOOK_ALERTS_TOKEN), and `npm start 2>&1 | tee` must show it too.
      // Plain text on stderr, beside the pino line on stdout, so that a person reads it as one block.
      if (embeddedTokenFile !== null) {
        process.stderr.write(firstRunNotice({ config, listenUrl: service.url, tokenFile: embeddedTokenFile, sinks: enabledSinkNames(config) }));
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          logger.info({ signal }, 'shutting down: draining requests and the current delivery');
          service.close().then(resolve, (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exitCode = 1;
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        // A pipeline thread that died delivers nothing: exit non-zero so that the orchestrator restarts the
        // service (and the next start skips an enrichment that crashed it), as a crash of one thread did before.
        void service.pipelineCrash.then(() => {
          process.exitCode = 1;
          stop('pipeline thread ended');
        });
      });
      logger.info('stopped');
    });
}
