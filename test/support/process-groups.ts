import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { onExit } from 'signal-exit';
import type { TestLike } from './worker-harness.js';

/**
 * Every process a test starts goes through here. Each is the leader of its own process group, so that one
 * kill reaches whatever it started too; the group is killed when the leader exits, when the test ends
 * (teardown), and when this test process ends however it ends: normally, by an uncaught error, or by the
 * SIGALRM that tap sends a test file that timed out (signal-exit, the library tap itself uses, runs the
 * handler then). Only a SIGKILL of the test process itself skips it.
 */

/** Leaders (= group ids) of groups started here that may still have members. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** SIGKILL a whole group; a group that is gone already (ESRCH) is fine. */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function killLiveGroups(): void {
  for (const pgid of liveGroups) killGroup(pgid);
  liveGroups.clear();
}

/** A child process in its own group, and its end. */
export interface GroupChild {
  child: ChildProcess;
  /** Resolves with the exit code, or the signal's name, when the leader has exited. */
  exited: Promise<number | string>;
  /** SIGKILL the whole group and wait for the leader's end. */
  kill(): Promise<number | string>;
}

/**
 * Spawn `command` as the leader of a new process group (`detached`), killed with its group in `t`'s
 * teardown and when this process exits (see the file comment). Fails like `spawn` when it cannot start.
 */
export function spawnInGroup(t: TestLike, command: string, args: readonly string[], options: SpawnOptions = {}): GroupChild {
  if (!exitHookInstalled) {
    onExit(() => killLiveGroups());
    exitHookInstalled = true;
  }
  const child = spawn(command, args, { ...options, detached: true });
  const pgid = child.pid;
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      // Whatever the leader started goes with it: nothing of a test outlives its process.
      if (pgid !== undefined && liveGroups.delete(pgid)) killGroup(pgid);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  // A spawn that failed (ENOENT) has no pid and reports through 'error', which `exited` rejects with; a
  // caller that reads the error from the child's 'error' event instead must not get an unhandled rejection.
  exited.catch(() => undefined);
  if (pgid !== undefined) liveGroups.add(pgid);
  const kill = (): Promise<number | string> => {
    if (pgid !== undefined && liveGroups.has(pgid)) killGroup(pgid);
    return exited;
  };
  t.teardown(async () => {
    if (pgid !== undefined) await kill();
  });
  return { child, exited, kill };
}

/** What a finished command printed and how it ended. */
export interface CommandRun {
  /** The exit code; null when a signal ended it (then `signal` says which). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a command in its own group to its end, with `stdin` as its input, and collect its output. */
export function runToExit(
  t: TestLike,
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<CommandRun> {
  const { child } = spawnInGroup(t, command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.stdin?.on('error', (err: NodeJS.ErrnoException) => {
      // A command may exit without reading its input: that is its answer, not a failure to run it.
      if (err.code !== 'EPIPE') reject(new Error(`cannot write the input of ${command}: ${err.message}`, { cause: err }));
    });
    child.stdin?.end(options.stdin ?? '');
    child.once('error', (err) => reject(new Error(`cannot run ${command}: ${err.message}`, { cause: err })));
    // 'close' rather than 'exit': the output is complete only when the pipes are.
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Whether a command is installed and exits 0 with these arguments (a `--version` probe). */
export async function runsOk(t: TestLike, command: string, args: readonly string[]): Promise<boolean> {
  try {
    return (await runToExit(t, command, args)).code === 0;
  } catch (err) {
    if (((err as Error).cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return false;
    throw err;
  }
}
