import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { extractCommands, type DocCommand } from '../../support/markdown-commands.js';

// Every shell command shown in README.md and docs/*.md either runs here, as written, or is classified by a
// rule below as one that needs what this test has not (a cluster, Argo CD, Slack, a registry). A command
// that no rule knows fails the test: new documentation must say which it is.

const REPO = join(import.meta.dirname, '..', '..', '..');
const CLI = join(REPO, 'dist', 'src', 'cli.js');
// What the documented commands read from a checkout; each document runs in a temporary copy of these.
const CHECKOUT_INPUTS = ['deploy', 'config', 'samples', 'test/fixtures'];
const DOCS = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
// Bounds a hang only: a documented command that runs for this long is broken.
const COMMAND_DEADLINE_MS = 120_000;

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);

/** What to do with a documented command. */
type Action =
  /** Run it; it must exit with `status` (default 0), and `check` must accept its output. */
  | { kind: 'run'; status?: number; check?: (stdout: string) => string | null; before?: 'delivered' }
  /** The CLI with a command and no arguments, as the prose names a command: its `--help` must work. */
  | { kind: 'help' }
  /** Start the service the way `npm start` does, for the commands that follow. */
  | { kind: 'start-service' }
  /** A command that reads a cluster into a file later commands use: write what the cluster would return. */
  | { kind: 'stand-in'; write: (cwd: string, match: RegExpExecArray) => void }
  /** Not run: `reason` says what it needs. */
  | { kind: 'not-run'; reason: string };

interface Rule {
  pattern: RegExp;
  action: Action;
}

// Any segment of a pipeline or list: `sed ... | kubectl apply -f -` needs a cluster as much as `kubectl apply`.
const segment = (program: string, rest = '(\\s|$)'): RegExp => new RegExp(`(^|[|;&]\\s*)${program}${rest}`);

const NOTIFICATIONS_CM = readFileSync(join(REPO, 'deploy/overlays/example/argocd-notifications/argocd-notifications-cm.yaml'), 'utf8');
const STAND_IN_TOKEN = 'docs-test-token-0123456789abcdef';

/** The rules, first match wins. */
const RULES: Rule[] = [
  // Reads of the cluster whose output a later command checks: the stand-in is what the cluster holds after
  // the documented steps (Argo CD's ConfigMap with the generated entries, the Secret with the token).
  {
    pattern: /^kubectl -n argocd get (?:configmap|cm) argocd-notifications-cm -o yaml > (\S+)$/,
    action: { kind: 'stand-in', write: (cwd, m) => writeFileSync(join(cwd, m[1] ?? ''), NOTIFICATIONS_CM) },
  },
  {
    pattern: /^kubectl -n argocd get secret argocd-notifications-secret -o yaml > (\S+)$/,
    action: {
      kind: 'stand-in',
      write: (cwd, m) =>
        writeFileSync(
          join(cwd, m[1] ?? ''),
          `apiVersion: v1\nkind: Secret\nmetadata:\n  name: argocd-notifications-secret\n  namespace: argocd\ntype: Opaque\ndata:\n  hook-alerts-token: ${Buffer.from(STAND_IN_TOKEN).toString('base64')}\n`,
        ),
    },
  },
  // Needs a cluster: every kubectl call but the local rendering.
  { pattern: segment('kubectl', '\\s+(?!kustomize\\b)'), action: { kind: 'not-run', reason: 'talks to a Kubernetes cluster' } },
  { pattern: segment('argocd'), action: { kind: 'not-run', reason: 'the Argo CD CLI against a running Argo CD' } },
  { pattern: segment('helm'), action: { kind: 'not-run', reason: "helm and the user's chart (not a prerequisite)" } },
  { pattern: segment('kustomize'), action: { kind: 'not-run', reason: 'the standalone kustomize (not a prerequisite; the guides use kubectl kustomize)' } },
  { pattern: segment('docker'), action: { kind: 'not-run', reason: 'docker and a registry to push to' } },
  // The forms of secrets the scrubber hides, as a migration's log prints them: examples of log text.
  { pattern: /^curl -u( \S+:\S+)?$/, action: { kind: 'not-run', reason: 'a form of secret the scrubber hides, shown as it appears in a log' } },
  { pattern: /send-test --to (slack|email)\b/, action: { kind: 'not-run', reason: 'a Slack workspace or an SMTP server (test/integration/deliver covers send-test against test servers)' } },
  // The project's own install, build and test commands: CI runs them; from here they would recurse or
  // rewrite the checkout under test.
  { pattern: /^npm (ci|test|install)$/, action: { kind: 'not-run', reason: "the project's own install/test command" } },
  { pattern: /^npm run (build|bench|typecheck|lint|test:unit|screenshots)$/, action: { kind: 'not-run', reason: "the project's own build/test command" } },
  { pattern: /^npm run bench -- [a-z-]+( [a-z-]+)*$/, action: { kind: 'not-run', reason: 'a part of the benchmarks (npm run bench)' } },
  { pattern: /^npx tap\b/, action: { kind: 'not-run', reason: "the project's own tests" } },
  { pattern: /^bash \.ci\/run$/, action: { kind: 'not-run', reason: 'the CI entry point (it runs npm test, which runs this test)' } },
  { pattern: /^node --import tsx bench\//, action: { kind: 'not-run', reason: 'a benchmark of the checkout (npm run bench)' } },
  { pattern: /^npm start$/, action: { kind: 'start-service' } },
  // A name, not a command: a span holding only a program's name.
  { pattern: /^[\w.-]+$/, action: { kind: 'not-run', reason: "a program's name in the prose" } },
  // The CLI's name with a command but no arguments names that command: its help must exist.
  { pattern: /^(npx )?argocd-hook-alerts( (serve|lint|send-test|validate|generate|deliveries)( (config|argocd|list|retry))?)?$/, action: { kind: 'help' } },
  {
    pattern: /^(npx )?argocd-hook-alerts deliveries retry \d+/,
    action: { kind: 'not-run', reason: 'a dead or failed delivery in the store (test/integration/service/deliveries-command.test.ts retries one end to end)' },
  },
  {
    pattern: /^curl -H "Authorization: Bearer \$HOOK_ALERTS_VIEWER_TOKEN" https:\/\/alerts\.example\.com\/incidents$/,
    action: { kind: 'not-run', reason: 'a deployed service with the incident page on (test/integration/incident-page covers every way in)' },
  },
  // Runnable without a cluster.
  { pattern: /^openssl rand -hex 32$/, action: { kind: 'run' } },
  { pattern: /^(npx )?argocd-hook-alerts\s/, action: { kind: 'run' } },
  { pattern: /^kubectl kustomize\s/, action: { kind: 'run' } },
  { pattern: /^export\s/, action: { kind: 'run' } },
  {
    pattern: /^curl\s.*\/v1\/argocd\/events$/,
    action: { kind: 'run', check: (out) => (/"incident":\s*"inc_/.test(out) ? null : `expected 202 {"incident": ...}, got ${out}`) },
  },
  // Looks at the outbox: after the service delivered what the curl posted.
  { pattern: /^ls data\/outbox\//, action: { kind: 'run', before: 'delivered' } },
];

/** Placeholders a runnable command may hold, and what they stand for. */
const PLACEHOLDERS: Record<string, () => string[]> = {
  // Any command of the CLI (each of them, as `argocd-hook-alerts --help` lists them).
  '<command>': () => cliCommands(),
};

function cliCommands(): string[] {
  const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout;
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1] ?? '').filter((c) => c !== 'help');
}

function ruleFor(cmd: DocCommand): Rule | undefined {
  return RULES.find((r) => r.pattern.test(cmd.plain));
}

/** The commands a documented one stands for: placeholders expanded. */
function expand(cmd: DocCommand): DocCommand[] {
  for (const [placeholder, values] of Object.entries(PLACEHOLDERS)) {
    if (cmd.plain.includes(placeholder)) {
      return values().flatMap((v) => expand({ ...cmd, text: cmd.text.split(placeholder).join(v), plain: cmd.plain.split(placeholder).join(v) }));
    }
  }
  return [cmd];
}

function hasKubectl(): boolean {
  return spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A workspace like a user's: the checkout's inputs, the CLI installed as `argocd-hook-alerts` (and for npx). */
function workspace(root: string, name: string): { cwd: string; env: NodeJS.ProcessEnv; state: string } {
  const cwd = join(root, name.replace(/[^\w.-]+/g, '_'));
  for (const input of CHECKOUT_INPUTS) cpSync(join(REPO, input), join(cwd, input), { recursive: true });
  const bin = join(cwd, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  // What `npm install` links; a script, since the compiled cli.js carries no executable bit.
  writeFileSync(join(bin, 'argocd-hook-alerts'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  const home = join(root, `${name.replace(/[^\w.-]+/g, '_')}.home`);
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    // An empty home: no ~/.kube/config, so the service runs without a cluster, as in the Quick start.
    HOME: home,
    LANG: 'C.UTF-8',
    // npx finds the local bin; it must never reach for the registry.
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
    npm_config_cache: join(home, '.npm'),
  };
  return { cwd, env, state: join(home, 'shell-state.sh') };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run one command in bash as a user's shell would, in its own process group (killed past the deadline),
 * carrying exported variables and the directory from one command to the next.
 */
function runShell(text: string, ws: { cwd: string; env: NodeJS.ProcessEnv; state: string }): Promise<Run> {
  const script = [
    'set -o pipefail',
    `[ -f "$DOCS_STATE" ] && . "$DOCS_STATE"`,
    text,
    '__status=$?',
    `{ export -p | grep -v -e ' PWD=' -e ' OLDPWD=' -e ' SHLVL=' -e ' _='; printf 'cd %q\\n' "$PWD"; } > "$DOCS_STATE"`,
    'exit $__status',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: ws.cwd, env: { ...ws.env, DOCS_STATE: ws.state }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      stderr += `\n[killed after ${COMMAND_DEADLINE_MS} ms]`;
    }, COMMAND_DEADLINE_MS);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

interface Service {
  port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** `npm start` without its build step (the build is tested by npm test), on a free port of this shared machine. */
async function startService(ws: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Service> {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const start = pkg.scripts.start ?? '';
  const run = start.split('&&').map((s) => s.trim()).find((s) => s.startsWith('node '));
  if (run === undefined) throw new Error(`package.json's start script runs no node command: ${start}`);
  const args = run.split(/\s+/).slice(1).map((a) => (a === 'dist/src/cli.js' ? CLI : a));
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd: ws.cwd, env: { ...ws.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Waits for the end, so that the test's process ends with nothing of it left running.
  const stop = async (): Promise<void> => {
    const pid = child.pid;
    if (child.exitCode !== null || child.signalCode !== null || pid === undefined) return;
    process.kill(-pid, 'SIGTERM');
    // A shutdown that hangs is the service's bug, reported by its own tests; here it only must not linger.
    const kill = setTimeout(() => process.kill(-pid, 'SIGKILL'), COMMAND_DEADLINE_MS);
    await exited;
    clearTimeout(kill);
  };
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // Ready when /healthz answers, as a probe would see it: independent of how the start-up is worded.
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) before listening:\n${output}`);
    if (waited > COMMAND_DEADLINE_MS) {
      await stop();
      throw new Error(`the service did not answer on port ${port} within ${COMMAND_DEADLINE_MS} ms:\n${output}`);
    }
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(100);
  }
  return { port, output: () => output, stop };
}

/** Until the outbox holds a delivered mail (a user looks after the alert went out); bounded, never timed. */
async function outboxDelivered(cwd: string): Promise<boolean> {
  const outbox = join(cwd, 'data', 'outbox');
  for (let waited = 0; waited < COMMAND_DEADLINE_MS; waited += 100) {
    if (existsSync(outbox) && readdirSync(outbox).some((d) => readdirSync(join(outbox, d)).some((f) => f.endsWith('.eml')))) return true;
    await sleep(100);
  }
  return false;
}

// Each document runs its commands one after another, the service's start and delivery included.
t.setTimeout(DOCS.length * 4 * COMMAND_DEADLINE_MS);
const kubectl = hasKubectl();
const root = mkdtempSync(join(tmpdir(), 'hook-alerts-docs-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const extracted = DOCS.map((file) => ({ file, commands: extractCommands(file, readFileSync(join(REPO, file), 'utf8')) }));

t.test('every command in the docs is classified', async (t) => {
  const all = extracted.flatMap((d) => d.commands);
  t.ok(all.length >= 50, `found ${all.length} commands in ${DOCS.join(', ')}`);
  for (const cmd of all) {
    const rule = ruleFor(cmd);
    t.ok(rule, `${cmd.file}:${cmd.line}: \`${cmd.plain}\` matches a rule (add one to RULES in this test)`);
    if (rule === undefined || rule.action.kind === 'not-run' || rule.action.kind === 'stand-in') continue;
    for (const c of expand(cmd)) {
      t.notMatch(c.plain, /<[A-Za-z][\w.…-]*>/, `${c.file}:${c.line}: \`${c.plain}\` has no placeholder left (add it to PLACEHOLDERS)`);
    }
  }
});

for (const { file, commands } of extracted) {
  t.test(`the commands of ${file} work as written`, async (t) => {
    const ws = workspace(root, file);
    let service: Service | null = null;
    t.teardown(() => service?.stop());
    const seen = new Set<string>();
    let ran = 0;
    for (const cmd of commands.flatMap(expand)) {
      const rule = ruleFor(cmd);
      if (rule === undefined) continue; // failed in the classification test
      const where = `${file}:${cmd.line}: \`${cmd.plain}\``;
      const action = rule.action;
      if (action.kind === 'not-run') {
        t.comment(`not run (${action.reason}): ${where}`);
        continue;
      }
      if (action.kind === 'stand-in') {
        const m = rule.pattern.exec(cmd.plain);
        if (m !== null) action.write(ws.cwd, m);
        t.comment(`stand-in for what the cluster returns: ${where}`);
        continue;
      }
      if (action.kind === 'start-service') {
        // A document may name `npm start` more than once (prose spans): one service serves them all, and
        // a second one would outlive the test, holding its process open until tap's timeout.
        if (service !== null) {
          t.comment(`the service runs already (port ${service.port}): ${where}`);
          continue;
        }
        service = await startService(ws);
        t.pass(`${where}: the service listens (port ${service.port} instead of 8080 on this shared machine)`);
        continue;
      }
      let text = action.kind === 'help' ? `${cmd.plain} --help` : cmd.text;
      if (/^kubectl kustomize\s/.test(cmd.plain) && !kubectl) {
        if (process.env.CI !== undefined) t.fail(`${where}: kubectl is required in CI`);
        else t.comment(`SKIPPED, kubectl is not installed: ${where}`);
        continue;
      }
      // The service's documented address; the test's service listens on a free port of this shared machine.
      const serviceAddress = /\b(localhost|127\.0\.0\.1):8080\b/;
      if (serviceAddress.test(text)) {
        if (service === null) {
          t.fail(`${where}: talks to the service, which no earlier command of ${file} started`);
          continue;
        }
        const port = service.port;
        text = text.replace(new RegExp(serviceAddress, 'g'), (_, host: string) => `${host}:${port}`);
      }
      if (seen.has(text)) continue;
      seen.add(text);
      if (action.kind === 'run' && action.before === 'delivered') {
        t.ok(await outboxDelivered(ws.cwd), `${where}: the outbox received the alert (service output:\n${service?.output() ?? 'no service'})`);
      }
      const res = await runShell(text, ws);
      ran++;
      const expected = action.kind === 'run' ? (action.status ?? 0) : 0;
      t.equal(res.status, expected, `${where} exits ${expected}`, { stdout: res.stdout.slice(0, 2000), stderr: res.stderr.slice(0, 2000) });
      const complaint = action.kind === 'run' ? (action.check?.(res.stdout) ?? null) : null;
      if (complaint !== null) t.fail(`${where}: ${complaint}`);
    }
    t.comment(`${ran} commands of ${file} ran`);
  });
}
