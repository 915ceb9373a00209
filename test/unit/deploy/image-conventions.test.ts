import t from 'tap';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../support/contract-bodies.js';

// The image cannot be built here; these check what the Dockerfile and the release workflow declare.

const dockerfile = readFileSync(`${REPO_ROOT}Dockerfile`, 'utf8');
const finalStage = dockerfile.split(/^FROM /m).at(-1) ?? '';

t.test("the image runs Debian's tini as PID 1, in front of node", async (t) => {
  t.match(finalStage, /apt-get install -y --no-install-recommends tini\b/, 'tini comes from Debian, in the final stage');
  t.match(finalStage, /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "dist\/src\/cli\.js"\]$/m);
});

t.test('the image carries the OCI labels, version and revision from build arguments', async (t) => {
  const pkg = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { license: string; description: string };
  for (const label of ['title', 'description', 'source', 'licenses', 'version', 'revision']) {
    t.match(finalStage, new RegExp(`org\\.opencontainers\\.image\\.${label}="[^"]+"`), label);
  }
  t.match(finalStage, `org.opencontainers.image.licenses="${pkg.license}"`);
  t.match(finalStage, `org.opencontainers.image.description="${pkg.description}"`);
  t.match(finalStage, 'org.opencontainers.image.version="${VERSION}"');
  t.match(finalStage, 'org.opencontainers.image.revision="${REVISION}"');
});

t.test('the release workflow builds that Dockerfile for amd64 and arm64 on version tags', async (t) => {
  type Step = { uses?: string; with?: Record<string, string> };
  const wf = parse(readFileSync(`${REPO_ROOT}.github/workflows/release.yaml`, 'utf8')) as { on: { push: { tags: string[] } }; jobs: Record<string, { steps: Step[] }> };
  t.same(wf.on.push.tags, ['v*.*.*']);
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
  t.equal(build?.with?.platforms, 'linux/amd64,linux/arm64');
  t.match(build?.with?.['build-args'], /^VERSION=.*\nREVISION=/m, 'the labels get the version and the commit');
  t.ok(steps.some((s) => s.uses?.startsWith('docker/setup-qemu-action@')), 'QEMU for the arm64 build');
});
