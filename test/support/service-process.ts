import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './contract-bodies.js';
import { spawnInGroup } from './process-groups.js';
import type { TestLike } from './worker-harness.js';

/** A `argocd-hook-alerts serve` child process and the URL it listens on. */
export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Every log line (parsed JSON) the process wrote so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

/**
 * Spawn the real CLI (`serve`) from source and wait until it logs that it listens. The process (and its
 * group) is killed in `t`'s teardown if it still runs then.
 */
export async function startServiceProcess(t: TestLike, args: string[], env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const { child, exited } = spawnInGroup(t, process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout ?? process.stdin });
    lines.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'argocd-hook-alerts is listening' && typeof entry.url === 'string') resolve(entry.url);
      } catch {
        logs.push({ raw: line });
      }
    });
    exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${stderr}`)), reject);
  });
  return { child, url, logs, exited };
}
