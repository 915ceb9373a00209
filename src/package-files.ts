import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The package's root directory (where package.json is), from src/ under tsx or dist/src/ when built. */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}: the installation is incomplete`);
    dir = parent;
  }
  root = dir;
  return dir;
}

/** Read a file shipped with the package (config/, samples/). */
export function readPackageFile(...segments: string[]): string {
  return readFileSync(join(packageRoot(), ...segments), 'utf8');
}

/** The version of the installed package, from its package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readPackageFile('package.json')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
