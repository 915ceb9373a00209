import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import type { KubeClient, LeaseWrite } from './kube-client.js';
import { KubeCallError } from './kube-failure.js';
import type { KubeLease } from './kube-objects.js';

/** Where the Lease lives and how long a leader holds it: the timings client-go's controllers use by default. */
export interface LeaseElectionSettings {
  namespace: string;
  name: string;
  /** Unique per process: the pod name where there is one. */
  identity: string;
  /** How long a Lease not renewed stays its holder's: the longest a dead leader keeps the others waiting. */
  leaseDurationMs: number;
  /** A leader that could not renew for this long steps down (shorter than the lease, so it stops before another starts). */
  renewDeadlineMs: number;
  /** How often the leader renews and the others try. */
  retryPeriodMs: number;
}

/** What the election drives: the work that must run on one replica only. */
export interface LeaderWork {
  start(): void;
  stop(): Promise<void>;
}

type Attempt = 'acquired' | 'held-by-another';

/** A Lease's MicroTime: RFC 3339 with exactly six fraction digits, as the API server writes and parses it. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election over a coordination.k8s.io/v1 Lease, the way client-go's leaderelection package does it:
 * the holder renews every retry period; the others take the Lease over once it has not changed for its
 * duration as measured on their own clock (never comparing clocks across machines); every write carries
 * the resourceVersion it read, so two candidates writing at once cannot both win. A leader that cannot
 * renew within the renew deadline stops its work before anyone else can take over; a leader that stops
 * cleanly releases the Lease so that another takes over at once.
 */
export class LeaseElection {
  readonly #client: KubeClient;
  readonly #settings: LeaseElectionSettings;
  readonly #work: LeaderWork;
  readonly #logger: Logger;
  readonly #clock: () => number;
  readonly #onLeading: (leading: boolean) => void;
  #leading = false;
  #lastRenewAt = 0;
  /** The Lease as last seen and when it was first seen so (local clock): expiry is judged from here. */
  #observedKey = '';
  #observedAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #tick: Promise<void> | null = null;
  #stopping = new AbortController();
  #lastError = '';

  constructor(deps: {
    client: KubeClient;
    settings: LeaseElectionSettings;
    work: LeaderWork;
    logger: Logger;
    clock?: () => number;
    /** Told each time leadership starts or ends (a gauge). */
    onLeading?: (leading: boolean) => void;
  }) {
    this.#client = deps.client;
    this.#settings = deps.settings;
    this.#work = deps.work;
    this.#logger = deps.logger;
    this.#clock = deps.clock ?? Date.now;
    this.#onLeading = deps.onLeading ?? (() => undefined);
  }

  /** True while this process holds the Lease and runs the work. */
  get leading(): boolean {
    return this.#leading;
  }

  /** Start campaigning. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopping = new AbortController();
    this.#onLeading(false);
    this.#schedule(0);
  }

  /** Stop campaigning; a leader stops its work, then releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#stopping.abort();
    await this.#tick;
    if (!this.#leading) return;
    await this.#stepDown('this process is stopping');
    try {
      await this.#release();
      this.#logger.info({ lease: this.#leaseName() }, 'released the watchers Lease');
    } catch (err) {
      this.#logger.warn(
        { lease: this.#leaseName(), err: describeError(err) },
        `could not release the watchers Lease; another replica takes over when it expires (${this.#settings.leaseDurationMs / 1000} s)`,
      );
    }
  }

  #leaseName(): string {
    return `${this.#settings.namespace}/${this.#settings.name}`;
  }

  #schedule(ms: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#tick = this.#round().finally(() => {
        this.#tick = null;
      });
    }, ms);
  }

  async #round(): Promise<void> {
    let attempt: Attempt | 'failed';
    try {
      attempt = await this.#tryAcquireOrRenew();
      this.#lastError = '';
    } catch (err) {
      attempt = 'failed';
      const message = describeError(err);
      // Once per distinct failure: a leader that cannot reach the API server tries every retry period.
      if (message !== this.#lastError && this.#running) {
        this.#lastError = message;
        this.#logger.warn({ lease: this.#leaseName(), err: message }, this.#leading ? 'could not renew the watchers Lease' : 'could not read or take the watchers Lease');
      }
    }
    if (!this.#running) return;
    const now = this.#clock();
    if (attempt === 'acquired') {
      this.#lastRenewAt = now;
      if (!this.#leading) {
        this.#leading = true;
        this.#onLeading(true);
        this.#logger.info({ lease: this.#leaseName(), identity: this.#settings.identity }, 'holds the watchers Lease: this replica runs the capture and stuck-hook watchers');
        this.#work.start();
      }
    } else if (this.#leading && (attempt === 'held-by-another' || now - this.#lastRenewAt >= this.#settings.renewDeadlineMs)) {
      await this.#stepDown(attempt === 'held-by-another' ? 'another replica holds the Lease' : `the Lease was not renewed for ${this.#settings.renewDeadlineMs / 1000} s`);
    }
    // Candidates spread their tries (client-go's jitter factor 1.2) so that they do not all ask at once.
    this.#schedule(this.#leading ? this.#settings.retryPeriodMs : this.#settings.retryPeriodMs * (1 + Math.random() * 0.2));
  }

  async #stepDown(why: string): Promise<void> {
    this.#leading = false;
    this.#onLeading(false);
    this.#logger.warn({ lease: this.#leaseName(), why }, 'no longer holds the watchers Lease: stopping the capture and stuck-hook watchers');
    try {
      await this.#work.stop();
    } catch (err) {
      this.#logger.error({ err: describeError(err) }, 'stopping the watchers failed');
    }
  }

  #observe(lease: KubeLease, now: number): void {
    const key = `${lease.spec.holderIdentity ?? ''}|${lease.spec.renewTime ?? ''}|${lease.metadata.resourceVersion ?? ''}`;
    if (key !== this.#observedKey) {
      this.#observedKey = key;
      this.#observedAt = now;
    }
  }

  async #tryAcquireOrRenew(): Promise<Attempt> {
    const { namespace, name, identity } = this.#settings;
    const signal = this.#stopping.signal;
    const now = this.#clock();
    const durationSeconds = Math.ceil(this.#settings.leaseDurationMs / 1000);
    const current = await this.#client.readLease(namespace, name, signal);
    const spec = (previous: KubeLease | null): LeaseWrite['spec'] => {
      const mine = previous?.spec.holderIdentity === identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: mine && previous?.spec.acquireTime != null ? previous.spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (previous?.spec.leaseTransitions ?? 0) + (previous === null || mine ? 0 : 1),
      };
    };
    try {
      if (current === null) {
        this.#observe(await this.#client.writeLease(namespace, { name, resourceVersion: null, spec: spec(null) }, signal), now);
        return 'acquired';
      }
      this.#observe(current, now);
      const holder = current.spec.holderIdentity ?? '';
      const heldForMs = (current.spec.leaseDurationSeconds ?? durationSeconds) * 1000;
      if (holder !== '' && holder !== identity && this.#observedAt + heldForMs > now) return 'held-by-another';
      const written = await this.#client.writeLease(namespace, { name, resourceVersion: current.metadata.resourceVersion, spec: spec(current) }, signal);
      this.#observe(written, now);
      return 'acquired';
    } catch (err) {
      // Another candidate wrote first (or created it): it won this round.
      if (err instanceof KubeCallError && err.kind === 'conflict') return 'held-by-another';
      throw err;
    }
  }

  /** Give the Lease up: no holder, so the next candidate to look takes it (client-go's ReleaseOnCancel). */
  async #release(): Promise<void> {
    const { namespace, name } = this.#settings;
    const signal = AbortSignal.timeout(this.#settings.renewDeadlineMs);
    const current = await this.#client.readLease(namespace, name, signal);
    if (current === null || current.spec.holderIdentity !== this.#settings.identity) return;
    const now = microTime(this.#clock());
    await this.#client.writeLease(
      namespace,
      {
        name,
        resourceVersion: current.metadata.resourceVersion,
        spec: { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.spec.leaseTransitions ?? 0 },
      },
      signal,
    );
  }
}
