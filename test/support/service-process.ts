import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './contract-bodies.js';
import { spawnInGroup } from './process-groups.js';
import type { TestLike } from './worker-harness.js';
import { imageRuntimeEnv } from './image-runtime.js';

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
 * Spawn the real CLI (`serve`) and wait until it logs that it listens. From source by default; with
 * `built`, the built CLI (`npm run build` first) under the container image's runtime settings (its heap
 * limits), where a memory test must run.
 */
export async function startServiceProcess(
  t: TestLike,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { built?: boolean } = {},
): Promise<ServiceProcess> {
  const built = opts.built ?? false;
  const { child, exited } = spawnInGroup(t, process.execPath, built ? ['dist/src/cli.js', 'serve', ...args] : ['--import', 'tsx', 'src/cli.ts', 'serve', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...(built ? imageRuntimeEnv() : {}), ...env },
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

/** The peak resident set size of a running process in KiB (VmHWM, Linux), or null where /proc has none. */
export function peakRssKiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? null : Number(m[1]);
  } catch {
    // The process is gone (its /proc entry with it): there is nothing left to measure.
    return null;
  }
}
