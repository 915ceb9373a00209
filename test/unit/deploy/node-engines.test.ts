import t from 'tap';
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { REPO_ROOT } from '../../support/contract-bodies.js';

// The README and package.json promise a minimum Node version; `npm ci` on that version must not warn
// EBADENGINE for any package of the lockfile, dev tools included (the README's test command installs them).

interface LockPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(`${REPO_ROOT}package-lock.json`, 'utf8')) as { packages: Record<string, LockPackage> };
const minimum = semver.minVersion(pkg.engines.node);

t.test('every locked package runs on the minimum Node version of package.json engines', async (t) => {
  t.ok(minimum, `engines.node "${pkg.engines.node}" has a minimum version`);
  if (minimum === null) return;
  const refusing = Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .flatMap(([path, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      return range === undefined || semver.satisfies(minimum, range) ? [] : [`${path}@${entry.version ?? '?'} needs node ${range}`];
    });
  t.same(refusing, [], `npm ci on Node ${minimum.version} installs without EBADENGINE`);
});

t.test('the README states the same minimum Node version', async (t) => {
  const readme = readFileSync(`${REPO_ROOT}README.md`, 'utf8');
  const stated = /Node\.js (\d+\.\d+) or newer/.exec(readme)?.[1];
  t.equal(stated === undefined ? null : semver.coerce(stated)?.version, minimum?.version, 'README "Node.js X.Y or newer" = engines.node');
});
