import { join } from 'node:path';
import { REPO_ROOT } from './contract-bodies.js';
import { runToExit, type CommandRun } from './process-groups.js';
import type { TestLike } from './worker-harness.js';

/** The CLI's entry point in the source tree. */
export const CLI_SOURCE = join(REPO_ROOT, 'src', 'cli.ts');

/**
 * Run the real CLI from source as a user would (`node --import tsx src/cli.ts <args>`, at the repo root)
 * to its end, in its own process group (see process-groups.ts). `env` is the whole environment
 * (default: this process's).
 */
export function runCli(t: TestLike, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CommandRun> {
  return runToExit(t, process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], { cwd: REPO_ROOT, env: opts.env ?? process.env, stdin: opts.stdin });
}
