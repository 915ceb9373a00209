import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { enabledSinkNames } from '../deliver/sink-selection.js';

/** `validate config`: load and check a config file the way `serve` would, without starting anything. */
export function registerValidateConfig(validate: Command): void {
  validate
    .command('config')
    .description('check a config file (and the environment) the way serve would')
    .option('-c, --config <file>', 'YAML config file (default: $HOOK_ALERTS_CONFIG)')
    .action((opts: { config?: string }) => {
      const config = loadConfig({ file: opts.config });
      const sinks = [...enabledSinkNames(config)].join(', ');
      process.stdout.write(`config is valid; sinks on: ${sinks}\n`);
    });
}
