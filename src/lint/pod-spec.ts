import { asArray, asRecord, asString, getIn, type FieldPath, type JsonRecord } from './manifest-object.js';

/** Where the pod spec sits in each workload kind that runs pods. */
const podSpecPaths: Record<string, FieldPath> = {
  Pod: ['spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  // Argo Rollouts: the usual replacement for Deployment in Argo CD shops.
  Rollout: ['spec', 'template', 'spec'],
};

/** A pod spec inside a workload, with its path so findings can point into it. */
export interface PodSpecAt {
  spec: JsonRecord;
  path: FieldPath;
}

/** The pod spec of a workload, or undefined for kinds that run no pods. */
export function podSpecOf(object: JsonRecord): PodSpecAt | undefined {
  const kind = asString(object.kind);
  if (kind === undefined) return undefined;
  const path = podSpecPaths[kind];
  if (path === undefined) return undefined;
  const spec = asRecord(getIn(object, path));
  return spec === undefined ? undefined : { spec, path };
}

/** Kinds a pod can reference by name and that a manifest set may define. */
export type ReferencedKind = 'Secret' | 'ConfigMap' | 'ServiceAccount';

/** One reference from a pod spec to a Secret, ConfigMap or ServiceAccount. */
export interface PodReference {
  kind: ReferencedKind;
  name: string;
  /** `optional: true`: the pod starts without it. */
  optional: boolean;
  /** What uses it, for messages: "env DATABASE_URL of container migrate". */
  via: string;
  /** Path from the object's root. */
  path: FieldPath;
}

/** A container (or init container) with its path from the object's root. */
export interface ContainerAt {
  container: JsonRecord;
  name: string;
  path: FieldPath;
}

/** Every container and init container of a pod spec. */
export function containersOf(pod: PodSpecAt): ContainerAt[] {
  const out: ContainerAt[] = [];
  for (const field of ['initContainers', 'containers'] as const) {
    asArray(pod.spec[field]).forEach((value, i) => {
      const container = asRecord(value);
      if (container === undefined) return;
      out.push({ container, name: asString(container.name) ?? `#${i}`, path: [...pod.path, field, i] });
    });
  }
  return out;
}

function optionalFlag(value: unknown): boolean {
  return asRecord(value)?.optional === true;
}

/** Every Secret, ConfigMap and ServiceAccount a pod spec needs by name, in manifest order. */
export function referencesOf(pod: PodSpecAt): PodReference[] {
  const refs: PodReference[] = [];
  const add = (kind: ReferencedKind, nameValue: unknown, optional: boolean, via: string, path: FieldPath): void => {
    const name = asString(nameValue);
    if (name !== undefined) refs.push({ kind, name, optional, via, path });
  };

  const sa = asString(pod.spec.serviceAccountName) ?? asString(pod.spec.serviceAccount);
  // "default" is created by Kubernetes in every namespace; it is never a manifest's job.
  if (sa !== undefined && sa !== 'default') {
    const field = asString(pod.spec.serviceAccountName) !== undefined ? 'serviceAccountName' : 'serviceAccount';
    add('ServiceAccount', sa, false, field, [...pod.path, field]);
  }

  for (const { container, name: cname, path } of containersOf(pod)) {
    asArray(container.env).forEach((value, i) => {
      const env = asRecord(value);
      const from = asRecord(env?.valueFrom);
      if (env === undefined || from === undefined) return;
      const envName = asString(env.name) ?? `#${i}`;
      const secretRef = asRecord(from.secretKeyRef);
      const configRef = asRecord(from.configMapKeyRef);
      if (secretRef !== undefined) {
        add('Secret', secretRef.name, optionalFlag(secretRef), `env ${envName} of container ${cname}`, [...path, 'env', i, 'valueFrom', 'secretKeyRef', 'name']);
      }
      if (configRef !== undefined) {
        add('ConfigMap', configRef.name, optionalFlag(configRef), `env ${envName} of container ${cname}`, [...path, 'env', i, 'valueFrom', 'configMapKeyRef', 'name']);
      }
    });
    asArray(container.envFrom).forEach((value, i) => {
      const from = asRecord(value);
      if (from === undefined) return;
      const secretRef = asRecord(from.secretRef);
      const configRef = asRecord(from.configMapRef);
      if (secretRef !== undefined) {
        add('Secret', secretRef.name, optionalFlag(secretRef), `envFrom of container ${cname}`, [...path, 'envFrom', i, 'secretRef', 'name']);
      }
      if (configRef !== undefined) {
        add('ConfigMap', configRef.name, optionalFlag(configRef), `envFrom of container ${cname}`, [...path, 'envFrom', i, 'configMapRef', 'name']);
      }
    });
  }

  asArray(pod.spec.volumes).forEach((value, i) => {
    const volume = asRecord(value);
    if (volume === undefined) return;
    const vname = asString(volume.name) ?? `#${i}`;
    const vpath = [...pod.path, 'volumes', i];
    const secret = asRecord(volume.secret);
    const configMap = asRecord(volume.configMap);
    if (secret !== undefined) add('Secret', secret.secretName, optionalFlag(secret), `volume ${vname}`, [...vpath, 'secret', 'secretName']);
    if (configMap !== undefined) add('ConfigMap', configMap.name, optionalFlag(configMap), `volume ${vname}`, [...vpath, 'configMap', 'name']);
    asArray(asRecord(volume.projected)?.sources).forEach((src, j) => {
      const source = asRecord(src);
      const ps = asRecord(source?.secret);
      const pc = asRecord(source?.configMap);
      const spath = [...vpath, 'projected', 'sources', j];
      if (ps !== undefined) add('Secret', ps.name, optionalFlag(ps), `projected volume ${vname}`, [...spath, 'secret', 'name']);
      if (pc !== undefined) add('ConfigMap', pc.name, optionalFlag(pc), `projected volume ${vname}`, [...spath, 'configMap', 'name']);
    });
  });

  asArray(pod.spec.imagePullSecrets).forEach((value, i) => {
    add('Secret', asRecord(value)?.name, false, 'imagePullSecrets', [...pod.path, 'imagePullSecrets', i, 'name']);
  });
  return refs;
}

/** Why an image reference does not say which build ran, or undefined when it is pinned. */
export function unpinnedImageReason(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  // A colon before the last slash is a registry port (registry:5000/app), not a tag.
  if (lastColon <= lastSlash) return 'has no tag, so it means :latest';
  const tag = image.slice(lastColon + 1);
  return tag === 'latest' ? 'uses the :latest tag' : undefined;
}
