import { PODS } from './kube-client.js';
import type { KubePod } from './kube-objects.js';
import { ResourceWatch, type ResourceWatchOptions, type WatchChange } from './resource-watch.js';

/** What a pod watch reports: a pod from the (re)list, or a change from the watch stream. */
export type PodChange = WatchChange;

export interface PodWatchOptions extends Omit<ResourceWatchOptions<KubePod>, 'resource' | 'labelSelector' | 'onObject' | 'failureHint'> {
  labelSelector: string;
  onPod: (change: PodChange, pod: KubePod) => void;
}

/** The list-then-watch loop (ResourceWatch) over the pods that match a label selector. */
export class PodWatch extends ResourceWatch<KubePod> {
  constructor(options: PodWatchOptions) {
    const { onPod, ...rest } = options;
    super({
      ...rest,
      resource: PODS,
      onObject: onPod,
      failureHint: 'hook pod logs are not captured until it reconnects (check the RBAC: list and watch pods)',
    });
  }
}
