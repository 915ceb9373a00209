import { APPLICATIONS, type KubeClient } from '../kube/kube-client.js';
import { KubeCallError } from '../kube/kube-failure.js';
import type { KubeApplication } from '../kube/kube-objects.js';
import { ResourceWatch, type WatchChange } from '../kube/resource-watch.js';
import { eventDedupeKey, type HookEvent } from '../model/hook-event.js';
import type { BackstopConfig } from './enrich-config.js';
import { acceptRaisedEvent, type RaisedEventIntake } from './raised-event.js';

const HOUR_MS = 3_600_000;

/** What the backstop tells the metrics: accepted (the watch saw it first) or duplicate (the webhook did). */
export type BackstopOutcome = 'accepted' | 'duplicate';

/** The store's accept path (the same dedupe as intake's), the worker's wake-up and the logger come from `RaisedEventIntake`. */
export interface ApplicationBackstopDeps extends RaisedEventIntake {
  /** The cluster Argo CD runs in: the one the service runs in. */
  client: KubeClient;
  config: Pick<BackstopConfig, 'namespaces' | 'maxAgeHours'>;
  /** The hook-failed events of an Application as the webhook would post them (intake's normalization), or why it cannot be read. */
  eventsOf: (app: KubeApplication, receivedAt: Date) => HookEvent[] | { invalid: string };
  onWatchState?: (namespace: string, up: boolean) => void;
  onOutcome?: (outcome: BackstopOutcome) => void;
  clock?: () => number;
  watchTimeoutSeconds?: number;
}

/**
 * The backstop that does not depend on Argo CD notifying (docs/design.md, "The Application backstop"):
 * watches the Applications of Argo CD's namespaces and feeds each failed hook operation it sees through the
 * store's accept path with the webhook's own dedupe key, so that the webhook and the watch make one event
 * per operation and recipient between them, whichever comes first. It catches what the webhook misses: a
 * second failed operation within one reconcile period (the trigger fires once per false→true transition),
 * and every failure while the notifications controller is down or could not reach the service.
 */
export class ApplicationBackstop {
  readonly #d: ApplicationBackstopDeps;
  readonly #clock: () => number;
  readonly #watches: ResourceWatch<KubeApplication>[];
  /** Application uid (or namespace/name) → the dedupe keys last stored for it: a reconcile that changes nothing asks the store nothing. */
  readonly #stored = new Map<string, string>();
  /** Events stored (or found stored) since start: tests and logs. */
  raised = 0;

  constructor(deps: ApplicationBackstopDeps) {
    this.#d = deps;
    this.#clock = deps.clock ?? Date.now;
    this.#watches = deps.config.namespaces.map(
      (namespace) =>
        new ResourceWatch<KubeApplication>({
          client: deps.client,
          resource: APPLICATIONS,
          namespace,
          labelSelector: null,
          onObject: (change, app) => this.#onApplication(change, app),
          onSynced: (uids) => {
            for (const key of this.#stored.keys()) if (!uids.has(key)) this.#stored.delete(key);
          },
          onState: (up) => deps.onWatchState?.(namespace, up),
          onFailure: (err) => {
            if (err instanceof KubeCallError && err.kind === 'forbidden') {
              deps.logger.error(
                { cluster: deps.client.clusterId, namespace, error: err.detail },
                'the Application backstop may not list or watch applications.argoproj.io here: grant it (deploy/components/argocd-backstop) or set kubernetes.backstop.enabled: false; alerts still come from the webhook',
              );
            }
          },
          failureHint: 'failed hooks that Argo CD does not notify are missed until it reconnects (check the RBAC: list and watch applications.argoproj.io)',
          logger: deps.logger,
          ...(deps.watchTimeoutSeconds === undefined ? {} : { timeoutSeconds: deps.watchTimeoutSeconds }),
        }),
    );
  }

  /** The Application watches (one per namespace). */
  get watches(): readonly ResourceWatch<KubeApplication>[] {
    return this.#watches;
  }

  /** Start watching. */
  start(): void {
    for (const w of this.#watches) w.start();
  }

  /** Stop watching and wait for the loops to end. */
  async stop(): Promise<void> {
    await Promise.all(this.#watches.map((w) => w.stop()));
  }

  #onApplication(change: WatchChange, app: KubeApplication): void {
    const key = app.metadata.uid ?? `${app.metadata.namespace ?? ''}/${app.metadata.name}`;
    if (change === 'DELETED') {
      this.#stored.delete(key);
      return;
    }
    const now = this.#clock();
    const derived = this.#d.eventsOf(app, new Date(now));
    const where = { app: `${app.metadata.namespace ?? ''}/${app.metadata.name}` };
    if (!Array.isArray(derived)) {
      this.#d.logger.warn({ ...where, problem: derived.invalid }, 'an Application the webhook contract cannot carry: the backstop skips it (the webhook would be refused too)');
      return;
    }
    const recent = derived.filter((event) => {
      const ended = Date.parse(event.operation?.finishedAt ?? event.operation?.startedAt ?? '');
      return Number.isNaN(ended) || now - ended <= this.#d.config.maxAgeHours * HOUR_MS;
    });
    if (recent.length === 0) return;
    const keyed = recent.map((event) => ({ event, dedupeKey: eventDedupeKey(event) }));
    const signature = keyed.map((k) => k.dedupeKey).join(',');
    if (this.#stored.get(key) === signature) return;
    void this.#store(keyed, now).then(
      () => this.#stored.set(key, signature),
      (err: unknown) => {
        // Not remembered: the next change of the Application (every reconcile) tries again.
        this.#d.logger.error({ ...where, err }, 'could not store an event the Application backstop raised; it is tried again on the next change of the Application');
      },
    );
  }

  async #store(keyed: readonly { event: HookEvent; dedupeKey: string }[], now: number): Promise<void> {
    for (const { event, dedupeKey } of keyed) {
      const result = await acceptRaisedEvent(this.#d, event, dedupeKey, now, "the Application watch saw a failed hook before Argo CD's webhook: alerting from the watch");
      if ('ignored' in result) continue;
      this.raised += 1;
      this.#d.onOutcome?.(result.duplicate ? 'duplicate' : 'accepted');
    }
  }
}
