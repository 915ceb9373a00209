import t from 'tap';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../support/cli-process.js';
import type { CommandRun } from '../../support/process-groups.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Run the real CLI from source (`node --import tsx src/cli.ts lint ...`) at the repo root. */
export function runLintCli(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CommandRun> {
  // Owned by the file's root test: a run still going when the file ends is killed then.
  return runCli(t, ['lint', ...args], { env: { PATH: process.env.PATH, ...opts.env }, stdin: opts.stdin });
}
