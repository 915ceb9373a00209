import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { checkSmtpUrl } from './smtp-url.js';
import { DATABASE_PASSWORD_FILE_ENV, databaseProblems, readDatabasePasswordFile } from './database-settings.js';
import { CODE_CONFIG_INVALID, errors, withIssues, type ProblemDetail } from '../errors.js';

/**
 * Environment variables of the public interface (docs/design.md, "Public interface") and the config path
 * each one sets.
 */
const ENV_BINDINGS = [
  { env: 'HOOK_ALERTS_TOKEN', path: ['server', 'token'], kind: 'string', secret: true },
  { env: 'HOST', path: ['server', 'host'], kind: 'string', secret: false },
  { env: 'PORT', path: ['server', 'port'], kind: 'integer', secret: false },
  { env: 'HOOK_ALERTS_DATA_DIR', path: ['dataDir'], kind: 'string', secret: false },
  { env: 'HOOK_ALERTS_DATABASE_URL', path: ['store', 'postgres', 'url'], kind: 'string', secret: true },
  { env: 'HOOK_ALERTS_DATABASE_PASSWORD', path: ['store', 'postgres', 'password'], kind: 'string', secret: true },
  { env: 'SLACK_BOT_TOKEN', path: ['slack', 'token'], kind: 'string', secret: true },
  { env: 'SLACK_API_URL', path: ['slack', 'apiUrl'], kind: 'string', secret: false },
  { env: 'SLACK_CHANNEL', path: ['routing', 'defaultRoute', 'slack'], kind: 'list', secret: false },
  { env: 'SMTP_URL', path: ['email', 'smtpUrl'], kind: 'string', secret: true },
  { env: 'EMAIL_FROM', path: ['email', 'from'], kind: 'string', secret: false },
  { env: 'EMAIL_TO', path: ['routing', 'defaultRoute', 'email'], kind: 'list', secret: false },
  { env: 'LOG_LEVEL', path: ['logging', 'level'], kind: 'string', secret: false },
] as const;

const SECRET_PATHS = new Set(['server.token', 'slack.token', 'email.smtpUrl', 'store.postgres.url', 'store.postgres.password']);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface LoadConfigOptions {
  /** Path of a YAML file (--config or HOOK_ALERTS_CONFIG). */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Values set by command-line flags; they win over everything else. */
  overrides?: JsonObject;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays and scalars of `over` replace those of `base`. */
function mergeConfig(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? mergeConfig(prev, value) : value;
  }
  return out;
}

function setPath(target: JsonObject, path: readonly string[], value: Json): void {
  let node = target;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    const child: JsonObject = isObject(next) ? next : {};
    node[key] = child;
    node = child;
  });
}

function readConfigFile(file: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw errors.configFile(file, `${code}: check the --config / HOOK_ALERTS_CONFIG path`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const detail = err instanceof YAMLParseError ? err.message : String(err);
    throw errors.configFile(file, `invalid YAML: ${detail}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isObject(doc)) throw errors.configFile(file, 'the top level must be a mapping of settings');
  return doc;
}

/** Environment values mapped onto config paths, and the variable behind each path for error messages. */
function environmentLayer(env: NodeJS.ProcessEnv): { layer: JsonObject; sources: Map<string, string> } {
  const layer: JsonObject = {};
  const sources = new Map<string, string>();
  for (const binding of ENV_BINDINGS) {
    const raw = env[binding.env];
    if (raw === undefined || raw === '') continue;
    let value: Json = raw;
    if (binding.kind === 'integer') value = /^\d+$/.test(raw) ? Number(raw) : raw;
    if (binding.kind === 'list') value = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    setPath(layer, binding.path, value);
    sources.set(binding.path.join('.'), binding.env);
  }
  const password = readDatabasePasswordFile(env);
  if (password !== null) {
    setPath(layer, ['store', 'postgres', 'password'], password);
    sources.set('store.postgres.password', DATABASE_PASSWORD_FILE_ENV);
  }
  return { layer, sources };
}

function describeValue(path: string, input: unknown): string | undefined {
  if (input === undefined) return undefined;
  // A secret is hidden whatever its type: `token: 12345678901234567890` in YAML is a number, and a secret still.
  if (SECRET_PATHS.has(path)) return typeof input === 'string' ? `a hidden value of ${input.length} characters` : `a hidden ${input === null ? 'null' : typeof input}`;
  // Never print a mapping's or list's contents: they can hold secrets of other settings.
  if (Array.isArray(input)) return `a list of ${input.length} items`;
  if (typeof input === 'object' && input !== null) return 'a mapping';
  const text = JSON.stringify(input);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function toProblems(issues: readonly z.core.$ZodIssue[], sources: Map<string, string>): ProblemDetail[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const source = sources.get(path);
    const problem: ProblemDetail = {
      path: source === undefined ? path : `${path} (from ${source})`,
      message: issue.code === 'unrecognized_keys' ? `${issue.message} (a typo? unknown keys are not ignored)` : issue.message,
    };
    const found = issue.code === 'unrecognized_keys' ? undefined : describeValue(path, issue.input);
    if (found !== undefined) problem.found = found;
    if ('expected' in issue && typeof issue.expected === 'string' && !issue.message.includes(issue.expected)) {
      problem.expected = issue.expected;
    }
    return problem;
  });
}

/** SMTP_URL is parsed here, once, so that the email sink never sees one nodemailer cannot read. */
function smtpUrlProblems(config: Config, sources: Map<string, string>): ProblemDetail[] {
  if (config.email.smtpUrl === undefined) return [];
  const check = checkSmtpUrl(config.email.smtpUrl);
  if (check.ok) return [];
  const source = sources.get('email.smtpUrl');
  return [{ path: source === undefined ? 'email.smtpUrl' : `email.smtpUrl (from ${source})`, message: check.message }];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Load the configuration once, validate it, freeze it.
 * Precedence: command-line flags ?? environment ?? config file ?? schema defaults (documented in
 * config/default.yaml). The environment wins over the file so that a Secret mounted as env can override a
 * ConfigMap-mounted file, the way Kubernetes deployments layer them.
 */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.HOOK_ALERTS_CONFIG;
  const fileLayer = file === undefined || file === '' ? {} : readConfigFile(file);
  const { layer: envLayer, sources } = environmentLayer(env);
  const merged = mergeConfig(mergeConfig(fileLayer, envLayer), opts.overrides ?? {});
  const result = configSchema.safeParse(merged, { reportInput: true });
  const problems = result.success
    ? [...smtpUrlProblems(result.data, sources), ...databaseProblems(result.data, sources)]
    : toProblems(result.error.issues, sources);
  if (!result.success || problems.length > 0) {
    const where = file === undefined || file === '' ? 'the environment' : `${file} and the environment`;
    throw withIssues(CODE_CONFIG_INVALID, 500, `invalid configuration (from ${where}); fix each setting below:`, problems);
  }
  return deepFreeze(result.data);
}
