import type { ContainerReport, ContainerState, PodReport } from '../../model/job-report.js';
import { customMatch, MAX_LINE_CHARS } from '../matchers.js';
import { isFailedState, type DiagnosisInput, type Match, type Rule, type RuleContext } from '../rule.js';

const DOCS = {
  oom: 'https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/#exceed-a-container-s-memory-limit',
  deadline: 'https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup',
  backoff: 'https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy',
  imagePull: 'https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff',
  pullSecret: 'https://kubernetes.io/docs/tasks/configure-pod-container/pull-image-private-registry/',
  syncWaves: 'https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/',
  secret: 'https://kubernetes.io/docs/concepts/configuration/secret/',
  pending: 'https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/#my-pod-stays-pending',
} as const;

// --- OOMKilled -------------------------------------------------------------------------------------

function memoryLimit(ctx: RuleContext): string | null {
  return ctx.match.container?.limits.memory ?? null;
}

// --- image pull ----------------------------------------------------------------------------------

/** Split an image reference into repository and tag (or digest); no tag means Kubernetes pulls `latest`. */
function splitImage(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), tag: ref.slice(at + 1) };
  // A colon before the last slash is a registry port (registry:5000/app), not a tag.
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: 'latest' };
}

function pulledImage(ctx: RuleContext): string {
  return ctx.match.groups.image ?? ctx.match.container?.image ?? ctx.job.job?.images[0] ?? 'the image';
}

// Docker Hub answers "pull access denied, repository does not exist or may require authorization" for
// both a missing and a private repository, so that wording gets a hint that covers both.
const PULL_AMBIGUOUS = /pull access denied|may require authorization/i;
const PULL_DENIED = /unauthorized|authentication required|forbidden|\b401\b|\b403\b|insufficient_scope/i;
const PULL_NOT_FOUND = /not found|manifest unknown|name unknown|does not exist/i;
const PULL_MALFORMED = /invalid reference format|couldn't parse image|InvalidImageName/i;

/** The whole message behind the match: the evidence is capped, and the registry's reason comes last. */
function fullMessage(ctx: RuleContext): string {
  return (ctx.match.event?.message ?? ctx.match.container?.current.message ?? ctx.match.evidence).slice(0, MAX_LINE_CHARS);
}

function imagePullHint(ctx: RuleContext): string {
  const ref = pulledImage(ctx);
  const { repository, tag } = splitImage(ref);
  const evidence = fullMessage(ctx);
  if (PULL_MALFORMED.test(evidence) || ctx.match.container?.current.reason === 'InvalidImageName') {
    return `The image reference "${ref}" is malformed (often an empty tag from an unset value, or a stray space): fix the image field of the hook Job.`;
  }
  if (PULL_AMBIGUOUS.test(evidence)) {
    return `Check that ${repository} exists with tag "${tag}", and that the hook pod's imagePullSecrets (or its service account's) hold credentials for that registry.`;
  }
  if (PULL_DENIED.test(evidence)) {
    return `The registry refused the pull: give the hook Job's pod template (or its service account) an imagePullSecret with valid credentials for ${repository}.`;
  }
  if (PULL_NOT_FOUND.test(evidence)) {
    return `Tag "${tag}" of ${repository} does not exist: check that CI pushed it and that the Application's image tag points at it.`;
  }
  return `Check that tag "${tag}" of ${repository} exists, that the hook pod's imagePullSecrets cover that registry, and that nodes can reach it.`;
}

// --- missing Secret / ConfigMap ------------------------------------------------------------------

function configKind(ctx: RuleContext): 'Secret' | 'ConfigMap' {
  return (ctx.match.groups.kind ?? '').toLowerCase() === 'configmap' ? 'ConfigMap' : 'Secret';
}

function missingConfigHint(ctx: RuleContext): string {
  const kind = configKind(ctx);
  const name = ctx.match.groups.name ?? '?';
  const key = ctx.match.groups.key;
  if (key !== undefined) {
    return `${kind} "${name}" exists but has no key "${key}": add the key, or fix its spelling in the Job's env/volume reference.`;
  }
  const hookType = ctx.job.hook.hookType;
  if (hookType === 'PreSync') {
    // docs/design.md "Phase before wave": a non-hook resource in any wave is applied after every PreSync hook.
    return `Make ${kind} "${name}" a PreSync hook itself (argocd.argoproj.io/hook: PreSync, with a lower argocd.argoproj.io/sync-wave than the Job) and give the hook its own copy rather than sharing the app's: Argo CD orders by phase before wave, so a plain ${kind} even in wave -1 is applied after every PreSync hook.`;
  }
  if (hookType === 'Sync') {
    return `Give ${kind} "${name}" a lower argocd.argoproj.io/sync-wave than the Sync hook (or make it a PreSync hook), so that it exists before the hook's pod starts.`;
  }
  return `${kind} "${name}" did not exist when the ${hookType} hook's pod started: check that it is in the Application's manifests under that name and namespace, and that no hook delete policy removes it.`;
}

// --- scheduling ----------------------------------------------------------------------------------

function schedulingHint(ctx: RuleContext): string {
  const e = (ctx.match.event?.message ?? ctx.match.pod?.unschedulable ?? ctx.match.evidence).slice(0, MAX_LINE_CHARS);
  const insufficient = /Insufficient (?<resource>[\w./-]{1,100})/.exec(e)?.groups?.resource;
  if (insufficient !== undefined) {
    return `No node has enough free ${insufficient} for the hook pod's requests: lower resources.requests of the hook Job or add capacity, then sync again.`;
  }
  if (/untolerated taint|had taint/i.test(e)) {
    return 'Every node carries a taint the hook pod does not tolerate: add the matching tolerations to the Job\'s pod template, like the app\'s own pods have.';
  }
  if (/node affinity|node selector|didn't match/i.test(e)) {
    return 'No node matches the hook pod\'s nodeSelector or affinity: fix the node labels it asks for in the Job\'s pod template.';
  }
  if (/persistentvolumeclaim|unbound|volume/i.test(e)) {
    return 'A volume of the hook pod cannot be bound or attached: check its PersistentVolumeClaim, or drop the volume from the migration Job.';
  }
  return 'The scheduler could not place the hook pod for the reason quoted; until it is placed the Job only waits for its deadline.';
}

function podName(ctx: RuleContext): string {
  return ctx.match.pod?.name ?? ctx.match.event?.object.replace(/^Pod\//, '') ?? 'the hook pod';
}

// --- the same error in every attempt -------------------------------------------------------------

interface Attempt {
  pod: PodReport;
  container: ContainerReport;
  state: ContainerState;
  line: string | null;
}

function lastNonEmpty(lines: readonly string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim();
    if (line !== undefined && line !== '') return line;
  }
  return null;
}

function attemptOf(pod: PodReport, input: DiagnosisInput): Attempt | null {
  for (const container of pod.containers) {
    const state = [container.current, container.lastTermination].find(
      (s): s is ContainerState => s !== null && s.state === 'terminated' && isFailedState(s),
    );
    if (state === undefined) continue;
    const source = input.logs.find((l) => l.container === container);
    return { pod, container, state, line: source === undefined ? null : lastNonEmpty(source.lines) };
  }
  return null;
}

// Timestamps, durations and ids differ between attempts; the words of the error do not.
const normalise = (line: string): string => line.replace(/\d{1,30}/g, '#');

/**
 * Every failed pod of the Job (at least two) ended with the same exit code and the same last log line:
 * the failure is deterministic and the retries only cost time.
 */
function sameErrorEveryAttempt(input: DiagnosisInput): Match | null {
  const attempts: Attempt[] = [];
  for (const pod of input.job.pods) {
    const attempt = attemptOf(pod, input);
    if (attempt !== null) attempts.push(attempt);
  }
  const [first] = attempts;
  if (first === undefined || attempts.length < 2 || first.line === null) return null;
  const key = normalise(first.line);
  for (const a of attempts) {
    if (a.line === null || a.state.exitCode !== first.state.exitCode || normalise(a.line) !== key) return null;
  }
  return customMatch(first.line, {
    pod: first.pod,
    container: first.container,
    facts: { attempts: attempts.length, exitCode: first.state.exitCode ?? 'unknown' },
  });
}

/** Kubernetes: failures the cluster reports in container states, events and Job conditions. */
export const kubernetesRules: Rule[] = [
  {
    id: 'kubernetes.missing-config',
    family: 'kubernetes',
    severity: 'error',
    priority: 100,
    matcher: {
      kind: 'any',
      of: [
        {
          kind: 'container-state',
          reasons: ['CreateContainerConfigError'],
          message: /(?<kind>secret|configmap) "(?<name>[^"]{1,253})" not found/i,
        },
        {
          kind: 'container-state',
          reasons: ['CreateContainerConfigError'],
          message: /couldn't find key (?<key>[^\s]{1,253}) in (?<kind>Secret|ConfigMap) [^\s/]{1,253}\/(?<name>[^\s]{1,253})/i,
        },
        { kind: 'event', reasons: ['Failed', 'FailedMount'], message: /(?<kind>secret|configmap) "(?<name>[^"]{1,253})" not found/i },
        {
          kind: 'event',
          reasons: ['Failed'],
          message: /couldn't find key (?<key>[^\s]{1,253}) in (?<kind>Secret|ConfigMap) [^\s/]{1,253}\/(?<name>[^\s]{1,253})/i,
        },
      ],
    },
    title: (ctx) =>
      ctx.match.groups.key === undefined
        ? `${configKind(ctx)} "${ctx.match.groups.name ?? '?'}" did not exist when the hook pod started`
        : `${configKind(ctx)} "${ctx.match.groups.name ?? '?'}" has no key "${ctx.match.groups.key}"`,
    hint: missingConfigHint,
    docs: (ctx) => (ctx.match.groups.key === undefined ? DOCS.syncWaves : DOCS.secret),
  },
  {
    id: 'kubernetes.image-pull',
    family: 'kubernetes',
    severity: 'error',
    priority: 100,
    matcher: {
      kind: 'any',
      of: [
        { kind: 'event', reasons: ['Failed'], message: /Failed to pull image "(?<image>[^"]{1,512})"/ },
        // "Failed to apply default image tag \"x\": couldn't parse image name \"x\": invalid reference format"
        { kind: 'event', reasons: ['InspectFailed'], message: /image (?:name |reference |tag )?"(?<image>[^"]{1,512})"/ },
        {
          kind: 'container-state',
          reasons: ['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull'],
          currentOnly: true,
        },
      ],
    },
    title: (ctx) => `Image "${pulledImage(ctx)}" could not be pulled`,
    hint: imagePullHint,
    docs: (ctx) => (PULL_DENIED.test(fullMessage(ctx)) ? DOCS.pullSecret : DOCS.imagePull),
  },
  {
    id: 'kubernetes.failed-scheduling',
    family: 'kubernetes',
    severity: 'error',
    priority: 100,
    matcher: { kind: 'any', of: [{ kind: 'event', reasons: ['FailedScheduling'] }, { kind: 'unschedulable' }] },
    title: (ctx) => `Pod ${podName(ctx)} was never scheduled onto a node`,
    hint: schedulingHint,
    docs: DOCS.pending,
  },
  {
    id: 'kubernetes.oom-killed',
    family: 'kubernetes',
    severity: 'error',
    priority: 95,
    matcher: { kind: 'container-state', reasons: ['OOMKilled'] },
    title: (ctx) => {
      const limit = memoryLimit(ctx);
      const who = `Container ${ctx.match.container?.name ?? '?'}`;
      return limit === null
        ? `${who} was OOMKilled with no memory limit set (the node ran out of memory)`
        : `${who} was OOMKilled at its memory limit of ${limit}`;
    },
    hint: (ctx) => {
      const limit = memoryLimit(ctx);
      return limit === null
        ? 'Set resources.requests.memory (and a limit) on the hook Job so it lands on a node with room; the log stops where the kernel killed the process.'
        : `Raise resources.limits.memory of the hook Job above ${limit}, or make the migration use less (batch large data changes, keep a JVM heap below the limit); the log stops where the kernel killed it.`;
    },
    docs: DOCS.oom,
  },
  {
    id: 'kubernetes.deadline-exceeded',
    family: 'kubernetes',
    severity: 'error',
    priority: 40,
    matcher: {
      kind: 'any',
      of: [
        { kind: 'job-condition', reason: 'DeadlineExceeded', hookMessage: /active longer than specified deadline/i },
        { kind: 'event', reasons: ['DeadlineExceeded'] },
      ],
    },
    title: (ctx) => {
      const seconds = ctx.job.job?.activeDeadlineSeconds ?? null;
      return seconds === null
        ? 'The Job ran longer than its activeDeadlineSeconds and was stopped'
        : `The Job ran longer than activeDeadlineSeconds (${seconds} s) and was stopped`;
    },
    hint: (ctx) => {
      const seconds = ctx.job.job?.activeDeadlineSeconds ?? null;
      const limit = seconds === null ? 'spec.activeDeadlineSeconds' : `spec.activeDeadlineSeconds (${seconds} s)`;
      return `Kubernetes killed the migration at its deadline: check what the end of its log shows it doing (waiting for a lock, a long backfill) before raising ${limit}.`;
    },
    docs: DOCS.deadline,
  },
  {
    id: 'kubernetes.backoff-same-error',
    family: 'kubernetes',
    severity: 'warning',
    priority: 20,
    matcher: {
      kind: 'all',
      of: [
        { kind: 'custom', describe: 'every failed pod ended with the same exit code and last log line', detect: sameErrorEveryAttempt },
        { kind: 'job-condition', reason: 'BackoffLimitExceeded', hookMessage: /reached the specified backoff limit/i },
      ],
    },
    title: (ctx) =>
      `All ${ctx.match.facts.attempts ?? '?'} attempts failed the same way (exit ${ctx.match.facts.exitCode ?? '?'})`,
    hint: 'Retrying or raising backoffLimit will not help: every attempt ended on the same error, so fix its cause and sync again.',
    docs: DOCS.backoff,
  },
];
