#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { HookAlertsError } from './errors.js';
import { registerServe } from './commands/serve.js';
import { registerLint } from './commands/lint.js';
import { registerSendTest } from './commands/send-test.js';
import { registerDeliveries } from './commands/deliveries.js';
import { registerValidateConfig } from './commands/validate-config.js';
import { registerGenerateArgocd } from './commands/generate-argocd.js';
import { registerValidateArgocd } from './commands/validate-argocd.js';
import { packageVersion } from './package-files.js';

/** Build the command tree; each command lives in src/commands/. */
export function buildCli(): Command {
  const program = new Command('argocd-hook-alerts')
    .description('Alerts for failed Argo CD hook Jobs: why they failed, with logs, in Slack and email')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerLint(program);
  registerSendTest(program);
  registerDeliveries(program);
  const validate = program.command('validate').description('check a config file or an argocd-notifications-cm');
  registerValidateConfig(validate);
  registerValidateArgocd(validate);
  const generate = program.command('generate').description('print configuration for Argo CD');
  registerGenerateArgocd(generate);
  return program;
}

/** Run the CLI: exit 0 on success, 1 on invalid input or config, 2 on usage errors; `onError` hears of a command that threw. */
export async function runCli(argv: string[], onError: () => void = () => undefined): Promise<number> {
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
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      // `commander.help` is help shown for `help` (exit code 0) or for a bare `generate` / `validate` /
      // `deliveries` / no command at all (exit code 1): that did nothing, so it is a usage error.
      if (err.code === 'commander.help' && err.exitCode === 0) return 0;
      return 2;
    }
    onError();
    if (err instanceof HookAlertsError) {
      process.stderr.write(`argocd-hook-alerts: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`argocd-hook-alerts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

/**
 * After a command failed with an error, whatever a half-done start left open (a socket, a worker thread)
 * must not keep the process alive: exit once the message is out. The timer is unref'd, so a clean end
 * exits at once; lint's exit 1 for findings is no failure of the command and is left to end by itself
 * (its report may still be draining into a slow pipe).
 */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 2_000).unref();
}

let failedWithError = false;

runCli(process.argv.slice(2), () => {
  failedWithError = true;
}).then(
  (code) => {
    process.exitCode = code;
    if (failedWithError) exitSoon(code);
  },
  (err: unknown) => {
    process.stderr.write(`argocd-hook-alerts: ${String(err)}\n`);
    process.exitCode = 1;
    exitSoon(1);
  },
);
