import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './contract-bodies.js';

/**
 * The runtime settings the container image gives the service (its `ENV NODE_OPTIONS` and `MALLOC_ARENA_MAX`),
 * read from the Dockerfile so that the benchmarks measure what ships and tests can check the other places.
 */
export function imageRuntimeEnv(): { NODE_OPTIONS: string; MALLOC_ARENA_MAX: string } {
  const dockerfile = readFileSync(`${REPO_ROOT}Dockerfile`, 'utf8');
  const nodeOptions = /^ENV NODE_OPTIONS="([^"]*)"/m.exec(dockerfile)?.[1];
  const arenas = /^\s*MALLOC_ARENA_MAX=(\d+)/m.exec(dockerfile)?.[1];
  if (nodeOptions === undefined || arenas === undefined) throw new Error('the Dockerfile no longer sets NODE_OPTIONS and MALLOC_ARENA_MAX: update test/support/image-runtime.ts');
  return { NODE_OPTIONS: nodeOptions, MALLOC_ARENA_MAX: arenas };
}
