import type { TestLike } from './worker-harness.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';
import { postEvent, type ServiceAnswer } from './service-http.js';

/**
 * Several `serve` processes on one shared store, posted to in turn as a load balancer would: what the HA
 * overlay runs. A slot can be killed and started again; while it is down, posts go to the others.
 */
export class ReplicaSet {
  readonly #t: TestLike;
  readonly #args: string[];
  readonly #envOf: (slot: number) => NodeJS.ProcessEnv;
  readonly #built: boolean;
  readonly #slots: (ServiceProcess | null)[];
  /** Every process started, in order: their logs outlive them. */
  readonly started: ServiceProcess[] = [];
  #next = 0;

  private constructor(t: TestLike, size: number, args: string[], envOf: (slot: number) => NodeJS.ProcessEnv, built: boolean) {
    this.#t = t;
    this.#args = args;
    this.#envOf = envOf;
    this.#built = built;
    this.#slots = Array.from({ length: size }, () => null);
  }

  /** Start `size` replicas with the same arguments; `envOf(slot)` gives each its environment. */
  static async start(
    t: TestLike,
    size: number,
    args: string[],
    envOf: (slot: number) => NodeJS.ProcessEnv,
    opts: { built?: boolean } = {},
  ): Promise<ReplicaSet> {
    const set = new ReplicaSet(t, size, args, envOf, opts.built ?? false);
    // One after the other: replicas that start together must be safe, but a test that wants that says so.
    for (let slot = 0; slot < size; slot += 1) await set.restart(slot);
    return set;
  }

  /** The running process in `slot`, or null while it is down. */
  replica(slot: number): ServiceProcess | null {
    return this.#slots[slot] ?? null;
  }

  /** The running processes. */
  running(): ServiceProcess[] {
    return this.#slots.filter((s): s is ServiceProcess => s !== null);
  }

  /** SIGKILL the process in `slot` and wait until it is gone. */
  async kill(slot: number): Promise<void> {
    const svc = this.#slots[slot];
    if (svc === null || svc === undefined) throw new Error(`replica ${slot} is not running`);
    this.#slots[slot] = null;
    svc.child.kill('SIGKILL');
    await svc.exited;
  }

  /** Start (again) the process of `slot`. */
  async restart(slot: number): Promise<ServiceProcess> {
    const svc = await startServiceProcess(this.#t, this.#args, this.#envOf(slot), { built: this.#built });
    this.#slots[slot] = svc;
    this.started.push(svc);
    return svc;
  }

  /**
   * POST to the next running replica in turn. A request cut by a kill, a 503 or no replica up is posted to
   * the next one, as Argo CD retries; any other answer is returned.
   */
  async deliver(token: string, body: unknown, maxTries = 50): Promise<ServiceAnswer> {
    let last = 'no replica was running';
    // While every replica is down (one replica, restarting), wait for one rather than spend the tries.
    const giveUpAt = Date.now() + 120_000;
    for (let attempt = 0; attempt < maxTries; attempt += 1) {
      const up = this.running();
      const svc = up[this.#next++ % Math.max(up.length, 1)];
      if (svc === undefined) {
        if (Date.now() > giveUpAt) break;
        attempt -= 1;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      try {
        const answer = await postEvent(svc.url, token, body);
        if (answer.status !== 503) return answer;
        last = `503 ${JSON.stringify(answer.json)}`;
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
    }
    throw new Error(`no replica accepted the event after ${maxTries} tries; last: ${last}`);
  }

  /** SIGTERM every running replica; resolves with their exit codes. */
  async stop(): Promise<(number | string)[]> {
    const up = this.running();
    this.#slots.fill(null);
    for (const svc of up) svc.child.kill('SIGTERM');
    return Promise.all(up.map((svc) => svc.exited));
  }
}
