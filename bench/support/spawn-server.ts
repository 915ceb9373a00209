import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { imageRuntimeEnv } from '../../test/support/image-runtime.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BENCH_TOKEN = 'bench-token-0123456789';

/** A server process under measurement. */
export interface BenchServer {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

async function started(child: ChildProcess, urlOf: (line: string) => string | null): Promise<BenchServer> {
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout ?? process.stdin });
    rl.on('line', (line) => {
      const found = urlOf(line);
      if (found !== null) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return stopper(url, child);
}

function stopper(url: string, child: ChildProcess): BenchServer {
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, child, stop };
}

/** The baseline: a bare fastify route that parses and echoes the JSON body, in its own process. */
export async function spawnEchoServer(): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/support/echo-server.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return started(child, (line) => /^listening (\S+)/.exec(line)?.[1] ?? null);
}

/**
 * The real service as users run it (the image's runtime settings included): the built CLI (`npm run build` first; `npm run bench` does) with
 * `serve`, a data dir, a config file with `configYaml` and extra environment (sinks).
 */
export async function spawnService(dataDir: string, configYaml: string, env: NodeJS.ProcessEnv = {}): Promise<BenchServer> {
  const configFile = join(dataDir, 'bench-config.yaml');
  writeFileSync(configFile, configYaml);
  // A free port chosen here, then polled: the "listening" log line is not there at log level warn.
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
  // BENCH_CPU_PROFILE_DIR: each service writes a V8 CPU profile there when it stops (--cpu-prof is refused
  // in NODE_OPTIONS), to find the top frames behind a missed goal.
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const nodeArgs = profileDir === undefined || profileDir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  const child = spawn(process.execPath, [...nodeArgs, 'dist/src/cli.js', 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOOK_ALERTS_TOKEN: BENCH_TOKEN,
      HOOK_ALERTS_DATA_DIR: dataDir,
      HOOK_ALERTS_CONFIG: configFile,
      HOST: '127.0.0.1',
      PORT: String(port),
      // No cluster unless the config names one: `auto` must not pick up the machine's ~/.kube/config.
      HOME: dataDir,
      ...imageRuntimeEnv(),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`serve exited with ${code}`))));
  for (let i = 0; ; i++) {
    const ok = await Promise.race([fetch(`${url}/healthz`).then((r) => r.ok, () => false), exited]);
    if (ok) break;
    if (i > 600) throw new Error('serve did not answer /healthz within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  exited.catch(() => undefined);
  return stopper(url, child);
}
