import { Worker, type ResourceLimits } from 'node:worker_threads';

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
