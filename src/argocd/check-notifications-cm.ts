import { parse } from 'yaml';
import { z } from 'zod';
import { EVENTS_ROUTE } from '../model/contract-v1.js';
import { eventKindSchema } from '../model/contract-v1.js';
import { describeError } from '../errors.js';
import { TOKEN_PLACEHOLDER } from './notifications-config.js';
import { bodyWithPlaceholders, scanTemplateActions } from './template-actions.js';
import { unknownTemplateFunctions } from './template-functions.js';

/*
 * Checks an argocd-notifications-cm (generated or hand-edited) for the mistakes that make Argo CD's
 * notifications fail silently or send a body the service must refuse. The checks of `when` expressions
 * are textual heuristics for the patterns known to break (see trigger-conditions.ts); the contract test
 * (test/contract) runs the real engines.
 */

export const findingRuleSchema = z.enum([
  'yaml-invalid',
  'no-tojson',
  'interpolated-string',
  'body-not-json',
  'body-contract',
  'once-per',
  'nil-unsafe-in',
  'nil-guard-missing',
  'optional-chaining',
  'when-truncated',
  'no-trigger',
  'trigger-template-missing',
  'template-service-missing',
  'template-method',
  'template-path',
  'template-function-unknown',
  'service-missing',
  'service-url',
  'service-no-auth',
  'service-secret-literal',
  'service-content-type',
  'secret-key-missing',
  'secret-placeholder',
]);
export type FindingRule = z.infer<typeof findingRuleSchema>;

/**
 * Rules that only bite on old Argo CD versions (their messages name them): warnings, not errors. Argo CD
 * 2.8 and newer ship expr 1.12.5+, which parses `?.` and evaluates `nil in [...]` to false.
 */
const VERSION_BOUND_RULES: ReadonlySet<FindingRule> = new Set(['optional-chaining', 'nil-unsafe-in']);

/** Whether a finding breaks notifications on every Argo CD version (error) or only on old ones (warning). */
export function findingSeverity(rule: FindingRule): 'error' | 'warning' {
  return VERSION_BOUND_RULES.has(rule) ? 'warning' : 'error';
}

/** One problem in the ConfigMap: which key, which rule, and what to do. */
export interface CmFinding {
  rule: FindingRule;
  key: string;
  message: string;
}

export interface CheckOptions {
  /** The notification service of argocd-hook-alerts (`service.webhook.<name>`). */
  serviceName: string;
  /** Keys of argocd-notifications-secret (decoded), when given: references are checked against them. */
  secret?: Record<string, string>;
}

const conditionSchema = z.looseObject({
  when: z.string().optional(),
  send: z.array(z.string()).optional(),
  oncePer: z.string().optional(),
});
const triggerSchema = z.array(conditionSchema);
const webhookTemplateSchema = z.looseObject({
  method: z.string().optional(),
  path: z.string().optional(),
  body: z.string().optional(),
});
const templateSchema = z.looseObject({ webhook: z.record(z.string(), webhookTemplateSchema).nullish() });
const serviceSchema = z.looseObject({
  url: z.string().optional(),
  headers: z.array(z.looseObject({ name: z.string(), value: z.string() })).nullish(),
  basicAuth: z.looseObject({}).nullish(),
});

type Condition = z.infer<typeof conditionSchema>;
type Template = z.infer<typeof templateSchema>;
type Service = z.infer<typeof serviceSchema>;

// Argo CD resolves `$key` references with this pattern (notifications-engine pkg/api/config.go).
const SECRET_REF = /[$][\w-]+/g;

function parseValue<T>(
  schema: z.ZodType<T>,
  key: string,
  value: string,
  findings: CmFinding[],
): T | undefined {
  let raw: unknown;
  try {
    raw = parse(value);
  } catch (err) {
    findings.push({ rule: 'yaml-invalid', key, message: `is not valid YAML (${describeError(err)}); Argo CD refuses the whole ConfigMap` });
    return undefined;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    findings.push({
      rule: 'yaml-invalid',
      key,
      message: `does not have the shape Argo CD expects (${issue === undefined ? 'unknown' : `${issue.path.join('.') || '(root)'}: ${issue.message}`})`,
    });
    return undefined;
  }
  return result.data;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function guardIndex(when: string, path: string): number {
  const m = new RegExp(`(?:${escapeRegExp(path)}\\s*!=\\s*nil|nil\\s*!=\\s*${escapeRegExp(path)})(?![\\w.])`).exec(when);
  return m === null ? -1 : m.index;
}

const NULLABLE_OBJECTS = ['app.status.operationState', 'app.status.operationState.syncResult'] as const;
const RESOURCES = 'app.status.operationState.syncResult.resources';

/** Brackets of an expr expression that do not close, outside string literals: a sign of a cut expression. */
function unbalanced(when: string): boolean {
  const closing: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  for (let i = 0; i < when.length; i += 1) {
    const c = when.charAt(i);
    if (c === "'" || c === '"' || c === '`') {
      const end = when.indexOf(c, i + 1);
      if (end === -1) return true;
      i = end;
    } else if (c === '(' || c === '[' || c === '{') {
      stack.push(c);
    } else if (c in closing) {
      if (stack.pop() !== closing[c]) return true;
    }
  }
  return stack.length > 0;
}

/** Nil-safety findings of one `when` expression. */
export function checkCondition(key: string, when: string): CmFinding[] {
  const findings: CmFinding[] = [];
  if (unbalanced(when)) {
    findings.push({
      rule: 'when-truncated',
      key,
      message:
        'the expression does not close its brackets or quotes: unquoted in YAML, everything after " #" is a comment, so `{... #.field}` is cut; write it as a block scalar (when: |); a condition that does not compile makes Argo CD refuse the whole ConfigMap',
    });
  }
  if (when.includes('?.')) {
    findings.push({
      rule: 'optional-chaining',
      key,
      message:
        'uses `?.`, which antonmedv/expr parses from 1.9.0 on: Argo CD 2.6 and newer take it, but on Argo CD 2.5 and older (expr 1.8.9) the condition does not compile and Argo CD refuses the whole ConfigMap; for those, guard with explicit `!= nil` checks',
    });
  }
  const inOnPath = /((?:#|\bapp)(?:\.[A-Za-z_]\w*)+)\s+(?:not\s+)?in\b/g;
  for (const m of when.matchAll(inOnPath)) {
    const path = m[1] ?? '';
    const guard = guardIndex(when, path);
    if (guard === -1 || guard > m.index) {
      findings.push({
        rule: 'nil-unsafe-in',
        key,
        message: `\`${path} in [...]\` errors when ${path} is nil (e.g. the hookType of a non-hook resource) on Argo CD 2.7 and older (antonmedv/expr 1.11 and older: "cannot use <nil> as index"), which then silently do not fire the trigger; Argo CD 2.8 and newer (expr 1.12.5+) take it as false. For the old versions compare with == instead: (x == 'a' || x == 'b')`,
      });
    }
  }
  for (const object of NULLABLE_OBJECTS) {
    const access = new RegExp(`${escapeRegExp(object)}\\.[A-Za-z_]`).exec(when);
    if (access === null) continue;
    const guard = guardIndex(when, object);
    if (guard === -1 || guard > access.index) {
      findings.push({
        rule: 'nil-guard-missing',
        key,
        message: `reads a field of ${object} without checking \`${object} != nil\` first: it is nil before the first sync or on early errors, the expression errors and the trigger silently never fires`,
      });
    }
  }
  const builtinOnResources = new RegExp(`\\b(?:any|all|none|one|filter|map|count|len)\\(\\s*${escapeRegExp(RESOURCES)}\\b`).exec(when);
  if (builtinOnResources !== null) {
    const guard = guardIndex(when, RESOURCES);
    if (guard === -1 || guard > builtinOnResources.index) {
      findings.push({
        rule: 'nil-guard-missing',
        key,
        message: `iterates ${RESOURCES} without checking \`${RESOURCES} != nil\` first: expr errors on nil and the trigger silently never fires`,
      });
    }
  }
  return findings;
}

/** toJson / string-interpolation / structure findings of one webhook body. */
function checkBody(key: string, body: string | undefined): CmFinding[] {
  if (body === undefined || body.trim() === '') {
    return [{ rule: 'body-not-json', key, message: 'has no body: the service needs a contract v1 JSON body' }];
  }
  const findings: CmFinding[] = [];
  const actions = scanTemplateActions(body);
  for (const a of actions) {
    if (a.kind !== 'output') continue;
    if (a.insideString) {
      findings.push({
        rule: 'interpolated-string',
        key,
        message: `${a.text} is inside a JSON string: a quote, backslash or newline in the value breaks the JSON (argo-cd#8665); write the value unquoted as {{toJson ...}}`,
      });
    } else if (!a.jsonEncoded) {
      findings.push({
        rule: 'no-tojson',
        key,
        message: `${a.text} prints a value without toJson: it is not JSON-encoded, so a string or a missing field breaks the body; use {{toJson ...}}`,
      });
    }
  }
  const skeleton = bodyWithPlaceholders(body, actions);
  if (skeleton === undefined) return findings;
  let parsed: unknown;
  try {
    parsed = JSON.parse(skeleton);
  } catch (err) {
    findings.push({
      rule: 'body-not-json',
      key,
      message: `is not JSON even with every {{...}} as a JSON value (${describeError(err)})`,
    });
    return findings;
  }
  findings.push(...checkContract(key, parsed));
  return findings;
}

function checkContract(key: string, parsed: unknown): CmFinding[] {
  const problems: string[] = [];
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return [{ rule: 'body-contract', key, message: 'is not a JSON object: contract v1 is an object with version, event, app, operationState' }];
  }
  const body = parsed as Record<string, unknown>;
  if (body.version !== 1) problems.push('"version": 1');
  const event = eventKindSchema.safeParse(body.event);
  if (!event.success) problems.push(`"event": one of ${eventKindSchema.options.map((o) => JSON.stringify(o)).join(', ')}`);
  const app = body.app;
  if (typeof app !== 'object' || app === null || !('name' in app) || !('namespace' in app)) {
    problems.push('"app": {"name": {{toJson .app.metadata.name}}, "namespace": {{toJson .app.metadata.namespace}}, ...}');
  }
  if (event.success && (event.data === 'hook-failed' || event.data === 'hook-retrying') && !('operationState' in body)) {
    problems.push('"operationState": {{toJson .app.status.operationState}}');
  }
  if (problems.length === 0) return [];
  return [{ rule: 'body-contract', key, message: `does not follow webhook contract v1; missing or wrong: ${problems.join('; ')}` }];
}

function joinUrl(url: string, path: string | undefined): string {
  // The webhook service's rule (notifications-engine pkg/services/webhook.go).
  if (path === undefined || path === '') return url;
  return `${url.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function header(service: Service, name: string): string | undefined {
  return service.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}

function checkService(key: string, service: Service, opts: CheckOptions): CmFinding[] {
  const findings: CmFinding[] = [];
  let url: URL | undefined;
  try {
    url = service.url === undefined ? undefined : new URL(service.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    findings.push({ rule: 'service-url', key, message: `url ${JSON.stringify(service.url ?? null)} is not an http(s) URL of argocd-hook-alerts` });
  }
  const contentType = header(service, 'Content-Type');
  if (contentType === undefined || !/^application\/json\b/i.test(contentType)) {
    findings.push({
      rule: 'service-content-type',
      key,
      message: 'has no "Content-Type: application/json" header: the service answers 415 and Argo CD gives up',
    });
  }
  const auth = header(service, 'Authorization');
  if (auth === undefined) {
    findings.push({
      rule: 'service-no-auth',
      key,
      message: 'has no Authorization header: add {name: Authorization, value: "Bearer $<key of argocd-notifications-secret>"}',
    });
    return findings;
  }
  const refs = [...auth.matchAll(SECRET_REF)].map((m) => m[0].slice(1));
  if (refs.length === 0) {
    findings.push({
      rule: 'service-secret-literal',
      key,
      message: 'the Authorization header holds a literal value: reference a key of argocd-notifications-secret ("Bearer $hook-alerts-token") so the token stays out of the ConfigMap',
    });
  }
  if (opts.secret !== undefined) {
    for (const ref of refs) {
      const value = opts.secret[ref];
      if (value === undefined) {
        findings.push({
          rule: 'secret-key-missing',
          key,
          message: `references $${ref}, which argocd-notifications-secret does not have: Argo CD then sends the text "$${ref}" and the service answers 401`,
        });
      } else if (value === TOKEN_PLACEHOLDER || value.trim() === '') {
        findings.push({
          rule: 'secret-placeholder',
          key,
          message: `argocd-notifications-secret key ${ref} still holds ${value.trim() === '' ? 'an empty value' : 'the placeholder'}: set it to the service's HOOK_ALERTS_TOKEN`,
        });
      }
    }
  }
  return findings;
}

/** Every string of a parsed template (message, webhook bodies, other services' fields), with its path. */
function templateStrings(value: unknown, path: string): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => templateStrings(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => templateStrings(v, path === '' ? k : `${path}.${k}`));
  }
  return [];
}

/** Calls of functions Argo CD does not define, in any template of the ConfigMap: each makes it refuse all of them. */
function checkTemplateFunctions(key: string, template: unknown): CmFinding[] {
  return templateStrings(template, '').flatMap(([path, text]) =>
    unknownTemplateFunctions(text).map((name) => ({
      rule: 'template-function-unknown' as const,
      key: `${key} ${path}`,
      message: `calls ${name}, which Argo CD 3.5 does not define (notifications-engine 0cff13b8a717 registers sprig v3.3.0's functions minus env and expandenv, nothing else${name.startsWith('slack') ? `; ${name} exists only in unmerged notifications-engine branches` : ''}): the template does not parse and Argo CD refuses the whole ConfigMap, so no app gets any notification`,
    })),
  );
}

/** Every finding of an argocd-notifications-cm `data` map for the argocd-hook-alerts service. */
export function checkNotificationsCm(data: Record<string, string>, opts: CheckOptions): CmFinding[] {
  const findings: CmFinding[] = [];
  const svc = opts.serviceName;
  const serviceKey = `service.webhook.${svc}`;

  const templates = new Map<string, Template>();
  const triggers = new Map<string, Condition[]>();
  const webhookServices = new Set<string>();
  let service: Service | undefined;

  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith('template.')) {
      const t = parseValue(templateSchema, key, value, findings);
      if (t !== undefined) findings.push(...checkTemplateFunctions(key, t));
      // A template that does not parse still exists for Argo CD's purposes: don't report it missing too.
      templates.set(key.slice('template.'.length), t ?? {});
    } else if (key.startsWith('trigger.')) {
      triggers.set(key.slice('trigger.'.length), parseValue(triggerSchema, key, value, findings) ?? []);
    } else if (key === 'service.webhook' || key.startsWith('service.webhook.')) {
      webhookServices.add(key === 'service.webhook' ? 'webhook' : key.slice('service.webhook.'.length));
      if (key === serviceKey) service = parseValue(serviceSchema, key, value, findings);
    }
  }

  if (!(serviceKey in data)) {
    findings.push({
      rule: 'service-missing',
      key: serviceKey,
      message: `is missing: the templates' webhook.${svc} sections have no service to send through (use --service-name if yours is named differently)`,
    });
  } else if (service !== undefined) {
    findings.push(...checkService(serviceKey, service, opts));
  }

  const ourTemplates = new Set<string>();
  for (const [name, t] of templates) {
    for (const [target, hook] of Object.entries(t.webhook ?? {})) {
      const where = `template.${name} webhook.${target}`;
      if (!webhookServices.has(target)) {
        findings.push({
          rule: 'template-service-missing',
          key: where,
          message: `names webhook service "${target}", which the ConfigMap does not define (no service.webhook.${target}): Argo CD fails to send it`,
        });
      }
      if (target !== svc) continue;
      ourTemplates.add(name);
      if ((hook.method ?? '').toUpperCase() !== 'POST') {
        findings.push({
          rule: 'template-method',
          key: where,
          message: `method is ${JSON.stringify(hook.method ?? null)}: Argo CD then sends ${hook.method === undefined || hook.method === '' ? 'a GET' : hook.method}; the service takes POST`,
        });
      }
      if (service?.url !== undefined) {
        const requestUrl = joinUrl(service.url, hook.path);
        let pathname: string | undefined;
        try {
          pathname = new URL(requestUrl).pathname.replace(/\/+$/, '');
        } catch {
          pathname = undefined;
        }
        if (pathname !== undefined && !pathname.endsWith(EVENTS_ROUTE)) {
          findings.push({
            rule: 'template-path',
            key: where,
            message: `sends to ${requestUrl}, but the service listens on ${EVENTS_ROUTE}: set path: ${EVENTS_ROUTE} (the service url without it)`,
          });
        }
      }
      findings.push(...checkBody(`${where}.body`, hook.body));
    }
  }

  let ourTriggers = 0;
  for (const [name, conditions] of triggers) {
    const key = `trigger.${name}`;
    let ours = false;
    for (const c of conditions) {
      for (const t of c.send ?? []) {
        if (!templates.has(t)) {
          findings.push({ rule: 'trigger-template-missing', key, message: `sends template "${t}", which the ConfigMap does not define (no template.${t})` });
        }
        if (ourTemplates.has(t)) ours = true;
      }
    }
    if (!ours) continue;
    ourTriggers += 1;
    for (const c of conditions) {
      if (c.oncePer !== undefined && c.oncePer !== '') {
        findings.push({
          rule: 'once-per',
          key,
          message: `has oncePer: a failed delivery is then recorded as sent and never retried (argo-cd#20879); remove it, argocd-hook-alerts deduplicates`,
        });
      }
      findings.push(...checkCondition(key, c.when ?? ''));
    }
  }
  if (ourTriggers === 0) {
    findings.push({
      rule: 'no-trigger',
      key: 'trigger.*',
      message: `no trigger sends a template with a webhook.${svc} section: nothing reaches argocd-hook-alerts`,
    });
  }
  return findings;
}
