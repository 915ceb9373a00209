#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { HookAlertsError } from './errors.js';
import { registerServe } from './commands/serve.js';
import { registerLint } from './commands/lint.js';
import { registerSendTest } from './commands/send-test.js';
import { registerValidateConfig } from './commands/validate-config.js';
import { registerGenerateArgocd } from './commands/generate-argocd.js';
import { registerValidateArgocd } from './commands/validate-argocd.js';

/** Build the command tree; each command lives in src/commands/. */
export function buildCli(): Command {
  const program = new Command('argocd-hook-alerts')
    .description('Alerts for failed Argo CD hook Jobs: why they failed, with logs, in Slack and email')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerLint(program);
  registerSendTest(program);
  const validate = program.command('validate').description('check a config file or an argocd-notifications-cm');
  registerValidateConfig(validate);
  registerValidateArgocd(validate);
  const generate = program.command('generate').description('print configuration for Argo CD');
  registerGenerateArgocd(generate);
  return program;
}

/** Run the CLI: exit 0 on success, 1 on invalid input or config, 2 on usage errors. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  const exitOverride = (err: CommanderError): never => {
    throw err;
  };
  program.commands.forEach((c) => c.exitOverride(exitOverride));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    if (err instanceof HookAlertsError) {
      process.stderr.write(`argocd-hook-alerts: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`argocd-hook-alerts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`argocd-hook-alerts: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
