import type { HookType } from '../model/hook-type.js';

/*
 * The `when` expressions of the generated triggers. Argo CD evaluates them with expr over `app` (the
 * Application as a map) and counts an evaluation error as "not fired", silently
 * (notifications-engine pkg/triggers/service.go). So every step is nil-safe in old and new expr alike:
 *  - each optional object is checked with an explicit `!= nil` before a field of it is read (expr 1.x
 *    errors with "cannot fetch X from <nil>"; `?.` does not parse before expr 1.9.0, i.e. on Argo CD 2.5 and older);
 *  - hook fields are compared with `==`, never `in [...]`: expr compiles a literal list into a map and
 *    `nil in {...}` errors for the non-hook entries of syncResult.resources, which have no hookType (expr
 *    1.11 and older, i.e. Argo CD 2.7 and older; expr 1.12.5+ takes it as false).
 */

const OP = 'app.status.operationState';
// One clause per line: the generated YAML stays readable, and expr treats newlines as spaces.
const AND = ' &&\n';
const RESOURCES = `${OP}.syncResult.resources`;

const FAILED_HOOK_PHASES = ['Failed', 'Error'] as const;
const FAILED_OPERATION_PHASES = ['Failed', 'Error'] as const;

function quote(value: string): string {
  // Values are fixed identifiers (hook types, phases); refuse anything that would need escaping.
  if (!/^[\w .()-]+$/.test(value)) throw new Error(`refusing to put ${JSON.stringify(value)} into an expr string`);
  return `'${value}'`;
}

/** `(field == 'a' || field == 'b')`: the nil-safe replacement of `field in ['a', 'b']`. */
function equalsAny(field: string, values: readonly string[]): string {
  return `(${values.map((v) => `${field} == ${quote(v)}`).join(' || ')})`;
}

const operationPresent = `app.status != nil && ${OP} != nil`;
const resourcesPresent = `${OP}.syncResult != nil && ${RESOURCES} != nil`;

function hookOfType(hookTypes: readonly HookType[]): string {
  return equalsAny('#.hookType', hookTypes);
}

/**
 * A failed hook of the chosen types, as intake counts it (src/intake/hook-event.ts): phase Failed or
 * Error; or "Terminated" (Argo CD 3.x records a hook it deleted on timeout or Terminate that way); or
 * still Running/Terminating in an operation whose message says it was terminated.
 */
function failedHookPresent(hookTypes: readonly HookType[]): string {
  const failed = `any(${RESOURCES}, {${hookOfType(hookTypes)} && (${equalsAny('#.hookPhase', FAILED_HOOK_PHASES)} || #.message == 'Terminated')})`;
  const terminated =
    `(${OP}.message != nil && ${OP}.message contains 'Operation terminated' && ` +
    `any(${RESOURCES}, {${hookOfType(hookTypes)} && ${equalsAny('#.hookPhase', ['Running', 'Terminating'])}}))`;
  return `(${failed} || ${terminated})`;
}

/** The operation ended Failed/Error with a failed hook of the chosen types in its syncResult. */
export function hookFailedCondition(hookTypes: readonly HookType[]): string {
  return [
    operationPresent,
    equalsAny(`${OP}.phase`, FAILED_OPERATION_PHASES),
    resourcesPresent,
    failedHookPresent(hookTypes),
  ].join(AND);
}

/**
 * Between two automatic retries: phase Running, finishedAt of the failed attempt set, the failed hook
 * still in syncResult (and, with the default delete policy, its Job still in the cluster).
 */
export function hookRetryingCondition(hookTypes: readonly HookType[]): string {
  return [
    operationPresent,
    `${OP}.phase == 'Running'`,
    `${OP}.finishedAt != nil && ${OP}.finishedAt != ''`,
    resourcesPresent,
    failedHookPresent(hookTypes),
  ].join(AND);
}

/**
 * Any successful sync. Argo CD keeps no record of the previous failure in the Application, so the
 * service decides: it resolves the app's open incident, or answers "ignored". Without oncePer Argo CD
 * sends once per false→true transition, i.e. once per successful operation, not per reconcile.
 */
export function syncSucceededCondition(): string {
  return [operationPresent, `${OP}.phase == 'Succeeded'`].join(AND);
}

/**
 * A hook of the chosen types still Running while the operation started at least `minutes` ago. Uses
 * Argo CD's `time` helpers (util/notification/expression/time): `.Minutes()` gives a float, which every
 * expr version compares with a number (a Duration times an int is an error in expr 1.x).
 */
export function hookStuckCondition(hookTypes: readonly HookType[], minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 1) throw new Error(`stuck minutes must be a positive integer, got ${minutes}`);
  return [
    operationPresent,
    `${OP}.phase == 'Running'`,
    `${OP}.startedAt != nil`,
    resourcesPresent,
    `any(${RESOURCES}, {${hookOfType(hookTypes)} && #.hookPhase == 'Running'})`,
    `time.Now().Sub(time.Parse(${OP}.startedAt)).Minutes() >= ${minutes}`,
  ].join(AND);
}

/**
 * A delete hook of the chosen types failed (Argo CD 3.3+): it shows only as a `DeletionError` condition
 * whose message says "PreDelete hook(s) failed: ns/name, ..." (argo-cd controller/hook.go
 * executeHooks; wrapped in "error executing pre-delete hooks: " for PreDelete, controller/appcontroller.go).
 * Argo CD deletes the failed hooks and clears the condition when it creates them again, so each failed
 * attempt is a false→true transition, one notification.
 */
export function deleteHookFailedCondition(deleteHookTypes: readonly HookType[]): string {
  if (deleteHookTypes.length === 0) throw new Error('a delete hook trigger needs at least one of PreDelete, PostDelete');
  const named = deleteHookTypes.map((t) => `#.message contains ${quote(`${t} hook(s) failed`)}`).join(' || ');
  return [
    'app.status != nil',
    'app.status.conditions != nil',
    `any(app.status.conditions, {#.type == 'DeletionError' && #.message != nil && (${named})})`,
  ].join(AND);
}
