import type { ContainerReport, ContainerState, EventReport, JobReport, PodReport } from '../model/job-report.js';
import { isFailedState, type DiagnosisInput, type LogSource, type Match, type Matcher } from './rule.js';

/**
 * Longest part of a line a pattern sees. Patterns use bounded gaps only, so the cost per line is at most
 * this times the largest gap; real error lines are far shorter, and structured logs put the message first.
 */
export const MAX_LINE_CHARS = 4096;
/** How many lines after a matched line a `detail` pattern looks at. */
const DETAIL_WINDOW_LINES = 12;
/** Longest evidence quoted in a finding: one line of an alert, not a log dump. */
export const MAX_EVIDENCE_CHARS = 300;

// Colour codes from tools that colour their output even without a TTY (Rails, some Flyway builds).
// Built from a string: a control character in a regex literal reads as a typo to linters and people.
const ESC = '\u001b';
const ANSI_SGR = new RegExp(`${ESC}\\[[0-9;]{0,20}m`, 'g');
const EMPTY: Readonly<Record<string, string | undefined>> = Object.freeze({});

function boundLine(line: string): string {
  let l = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (l.length > MAX_LINE_CHARS) l = l.slice(0, MAX_LINE_CHARS);
  return l.includes(ESC) ? l.replace(ANSI_SGR, '') : l;
}

/** Whether a container's log can hold the failure: it failed now or before, or it is still running (stuck). */
function logMayHoldFailure(c: ContainerReport): boolean {
  if (c.current.state === 'running') return true;
  if (isFailedState(c.current)) return true;
  return c.lastTermination !== null && isFailedState(c.lastTermination);
}

/**
 * Prepare a JobReport for matching: split each log once into bounded lines. Logs of containers that
 * succeeded are left out, so that an init container that waited for the database ("connection refused"
 * until it came up) does not produce a finding.
 */
export function prepareInput(job: JobReport): DiagnosisInput {
  const logs: LogSource[] = [];
  for (const pod of job.pods) {
    for (const container of pod.containers) {
      if (container.log === null || container.log.text === '' || !logMayHoldFailure(container)) continue;
      logs.push({ pod, container, lines: container.log.text.split('\n').map(boundLine) });
    }
  }
  return { job, logs };
}

/** Quote a line around the matched part, trimmed and capped at MAX_EVIDENCE_CHARS. */
export function excerpt(text: string, at = 0): string {
  const flat = text.replace(/\s/g, (c) => (c === ' ' ? c : ' '));
  if (flat.trim().length <= MAX_EVIDENCE_CHARS) return flat.trim();
  const start = Math.max(0, Math.min(at - 60, flat.length - MAX_EVIDENCE_CHARS));
  const end = Math.min(flat.length, start + MAX_EVIDENCE_CHARS);
  return `${start > 0 ? '…' : ''}${flat.slice(start, end).trim()}${end < flat.length ? '…' : ''}`;
}

function match(evidence: string, fields: Partial<Omit<Match, 'evidence'>> = {}): Match {
  return {
    evidence,
    groups: fields.groups ?? EMPTY,
    pod: fields.pod ?? null,
    container: fields.container ?? null,
    event: fields.event ?? null,
    facts: fields.facts ?? {},
  };
}

function detailAfter(
  detail: RegExp,
  lines: readonly string[],
  from: number,
): { groups: Record<string, string | undefined>; line: string; index: number } | null {
  const end = Math.min(lines.length, from + 1 + DETAIL_WINDOW_LINES);
  for (let i = from + 1; i < end; i++) {
    const line = lines[i] ?? '';
    const found = detail.exec(line);
    if (found !== null) return { groups: found.groups ?? EMPTY, line, index: found.index };
  }
  return null;
}

function matchLog(m: Extract<Matcher, { kind: 'log' }>, logs: readonly LogSource[]): Match | null {
  const { pattern, detail } = m;
  for (const source of logs) {
    const { lines } = source;
    // Newest line first: the last error of the run is the one that ended it.
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i];
      if (line === undefined) continue;
      const found = pattern.exec(line);
      if (found === null) continue;
      const more = detail === undefined ? null : detailAfter(detail, lines, i);
      const groups = more === null ? (found.groups ?? EMPTY) : { ...more.groups, ...found.groups };
      const evidence = more !== null && m.detailIsEvidence === true ? excerpt(more.line, more.index) : excerpt(line, found.index);
      return match(evidence, { groups, pod: source.pod, container: source.container });
    }
  }
  return null;
}

function describeState(pod: PodReport, c: ContainerReport, s: ContainerState): string {
  const exit = s.exitCode === null ? '' : ` (exit ${s.exitCode})`;
  const message = s.message === null || s.message.trim() === '' ? '' : `: ${s.message}`;
  return `Pod ${pod.name} container ${c.name}: ${s.state} ${s.reason ?? ''}${exit}${message}`;
}

function matchContainerState(
  m: Extract<Matcher, { kind: 'container-state' }>,
  job: JobReport,
): Match | null {
  for (const pod of job.pods) {
    for (const c of pod.containers) {
      const states = m.currentOnly === true || c.lastTermination === null ? [c.current] : [c.current, c.lastTermination];
      for (const s of states) {
        if (s.reason === null || !m.reasons.includes(s.reason)) continue;
        let groups = EMPTY;
        if (m.message !== undefined) {
          const found = m.message.exec((s.message ?? '').slice(0, MAX_LINE_CHARS));
          if (found === null) continue;
          groups = found.groups ?? EMPTY;
        }
        return match(excerpt(describeState(pod, c, s)), { groups, pod, container: c });
      }
    }
  }
  return null;
}

function podOfEvent(job: JobReport, e: EventReport): PodReport | null {
  return job.pods.find((p) => e.object === `Pod/${p.name}`) ?? null;
}

function matchEvent(m: Extract<Matcher, { kind: 'event' }>, job: JobReport): Match | null {
  let best: { event: EventReport; groups: Record<string, string | undefined> } | null = null;
  for (const e of job.events) {
    if (e.reason === null || !m.reasons.includes(e.reason)) continue;
    let groups: Record<string, string | undefined> = EMPTY;
    if (m.message !== undefined) {
      const found = m.message.exec((e.message ?? '').slice(0, MAX_LINE_CHARS));
      if (found === null) continue;
      groups = found.groups ?? EMPTY;
    }
    // The latest occurrence describes the current state; events without timestamps keep list order.
    if (best === null || (e.lastTimestamp ?? '') >= (best.event.lastTimestamp ?? '')) best = { event: e, groups };
  }
  if (best === null) return null;
  const { event, groups } = best;
  const evidence = excerpt(`${event.object} ${event.reason ?? ''}: ${event.message ?? ''}`);
  return match(evidence, { groups, event, pod: podOfEvent(job, event) });
}

function matchJobCondition(m: Extract<Matcher, { kind: 'job-condition' }>, job: JobReport): Match | null {
  const condition = job.job?.conditions.find((c) => c.type === 'Failed' && c.status === 'True' && c.reason === m.reason);
  if (condition !== undefined && job.job !== null) {
    return match(excerpt(`Job/${job.job.name} ${condition.reason ?? ''}: ${condition.message ?? ''}`));
  }
  // Argo CD copies the Job's failed condition into the hook's message, which survives the Job's deletion;
  // while the Job exists its own conditions are current and the hook message may be a previous attempt's.
  const hookMessage = job.hook.message;
  if (job.job === null && hookMessage !== null && m.hookMessage.test(hookMessage.slice(0, MAX_LINE_CHARS))) {
    return match(excerpt(`${job.hook.kind}/${job.hook.name}: ${hookMessage}`));
  }
  return null;
}

function matchUnschedulable(job: JobReport): Match | null {
  for (const pod of job.pods) {
    if (pod.unschedulable !== null && pod.unschedulable.trim() !== '') {
      return match(excerpt(`Pod ${pod.name}: ${pod.unschedulable}`), { pod });
    }
  }
  return null;
}

/** Run one matcher over a prepared report. Pure; linear in the size of the report. */
export function runMatcher(m: Matcher, input: DiagnosisInput): Match | null {
  switch (m.kind) {
    case 'log':
      return matchLog(m, input.logs);
    case 'container-state':
      return matchContainerState(m, input.job);
    case 'event':
      return matchEvent(m, input.job);
    case 'job-condition':
      return matchJobCondition(m, input.job);
    case 'unschedulable':
      return matchUnschedulable(input.job);
    case 'any': {
      for (const inner of m.of) {
        const found = runMatcher(inner, input);
        if (found !== null) return found;
      }
      return null;
    }
    case 'all': {
      let first: Match | null = null;
      for (const inner of m.of) {
        const found = runMatcher(inner, input);
        if (found === null) return null;
        first ??= found;
      }
      return first;
    }
    case 'custom':
      return m.detect(input);
  }
}

/** Every regular expression inside a matcher, for linting and documentation. */
export function patternsOf(m: Matcher): RegExp[] {
  switch (m.kind) {
    case 'log':
      return m.detail === undefined ? [m.pattern] : [m.pattern, m.detail];
    case 'container-state':
    case 'event':
      return m.message === undefined ? [] : [m.message];
    case 'job-condition':
      return [m.hookMessage];
    case 'any':
    case 'all':
      return m.of.flatMap(patternsOf);
    case 'unschedulable':
    case 'custom':
      return [];
  }
}

/** The patterns of a matcher's log lines (not their details): what marks a failing line of a log. */
export function logLinePatternsOf(m: Matcher): RegExp[] {
  if (m.kind === 'log') return [m.pattern];
  if (m.kind === 'any' || m.kind === 'all') return m.of.flatMap(logLinePatternsOf);
  return [];
}

/** Build a Match from a custom matcher's findings (evidence is capped like every other). */
export function customMatch(evidence: string, fields: Partial<Omit<Match, 'evidence'>> = {}): Match {
  return match(excerpt(evidence), fields);
}
