import { Worker, type ResourceLimits } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Start a worker thread on a module beside `callerUrl` (pass `import.meta.url`), named without its
 * extension. Compiled, the thread is a .js file; under tsx (tests, `npm run bench`) it is .ts, and a worker
 * does not inherit tsx's loader, so a small bootstrap registers it first.
 */
export function startModuleThread(callerUrl: string, moduleName: string, workerData: unknown, resourceLimits?: ResourceLimits): Worker {
  const options = { workerData, ...(resourceLimits === undefined ? {} : { resourceLimits }) };
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${moduleName}.js`, callerUrl), options);
  const target = new URL(`./${moduleName}.ts`, callerUrl).href;
  return new Worker(`import(${JSON.stringify('tsx/esm/api')}).then((tsx) => tsx.tsImport(${JSON.stringify(target)}, ${JSON.stringify(callerUrl)}))`, { eval: true, ...options });
}

/**
 * Lower the calling thread's CPU priority (Linux: a thread is a task with its own nice value, found through
 * /proc/thread-self). Returns the nice value set, or why none was (another OS, or refused).
 */
export function lowerThisThreadPriority(nice: number): { nice: number } | { skipped: string } {
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return { skipped: 'no /proc/thread-self (not Linux): the thread keeps the process priority' };
  }
  if (!Number.isInteger(tid) || tid <= 0) return { skipped: 'cannot read this thread id from /proc/thread-self' };
  try {
    // setpriority(PRIO_PROCESS, tid) on Linux changes that one thread; raising nice needs no privilege.
    setPriority(tid, Math.max(getPriority(tid), nice));
    return { nice: getPriority(tid) };
  } catch (err) {
    return { skipped: `setpriority refused: ${(err as Error).message}` };
  }
}
