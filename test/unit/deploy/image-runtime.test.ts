import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../support/contract-bodies.js';
import { imageRuntimeEnv } from '../../support/image-runtime.js';

// The memory budget rests on V8 flags that three places must agree on: the image (what runs in a cluster),
// `npm start` (the quick start) and the benchmarks (what the figures in the README describe).

t.test('npm start runs the service with the image NODE_OPTIONS', async (t) => {
  const { NODE_OPTIONS } = imageRuntimeEnv();
  t.match(NODE_OPTIONS, /--max-old-space-size=\d+/);
  t.match(NODE_OPTIONS, /--max-semi-space-size=\d+/);
  const pkg = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
  t.match(pkg.scripts.start, `node ${NODE_OPTIONS} dist/src/cli.js serve --embedded-defaults`);
});

t.test('the Deployment keeps the image settings and leaves the heap ceiling room under its memory limit', async (t) => {
  const docs = parseAllDocuments(readFileSync(`${REPO_ROOT}deploy/base/deployment.yaml`, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
  const deployment = docs.find((d) => d.kind === 'Deployment') as
    | { spec: { template: { spec: { containers: { env?: { name: string }[]; resources: { limits: { memory: string } } }[] } } } }
    | undefined;
  const container = deployment?.spec.template.spec.containers[0];
  t.ok(container, 'a Deployment with a container');
  t.notOk(container?.env?.some((e) => e.name === 'NODE_OPTIONS'), 'NODE_OPTIONS comes from the image');
  const limitMi = Number(/^(\d+)Mi$/.exec(container?.resources.limits.memory ?? '')?.[1]);
  const oldSpaceMi = Number(/--max-old-space-size=(\d+)/.exec(imageRuntimeEnv().NODE_OPTIONS)?.[1]);
  // V8 gives up (and the pod restarts) at the ceiling, before the kernel's OOM kill at the limit.
  t.ok(oldSpaceMi + 64 <= limitMi, `old space ${oldSpaceMi} MiB + 64 MiB of code and native memory fits in ${limitMi}Mi`);
});
