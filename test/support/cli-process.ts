import { existsSync } from 'node:fs';
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

/** The built CLI (`npm run build` first), as `npx argocd-hook-alerts` runs it. */
export const CLI_BUILT = join(REPO_ROOT, 'dist', 'src', 'cli.js');

/**
 * Run the built CLI (`node dist/src/cli.js <args>`, at the repo root) to its end, in its own process
 * group: what a user runs, and seconds faster to start than tsx on a busy machine. `env` is the whole
 * environment (default: only PATH).
 */
export function runBuiltCli(t: TestLike, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CommandRun> {
  if (!existsSync(CLI_BUILT)) throw new Error(`${CLI_BUILT} is missing: run \`npm run build\` first (npm test does)`);
  return runToExit(t, process.execPath, [CLI_BUILT, ...args], { cwd: REPO_ROOT, env: opts.env ?? { PATH: process.env.PATH }, stdin: opts.stdin });
}
