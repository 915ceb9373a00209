import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { secretFromEnv } from './secret-env.js';
import { checkSmtpUrl } from './smtp-url.js';
import { databaseProblems } from './database-settings.js';
import { CODE_CONFIG_INVALID, errors, withIssues, type ProblemDetail } from '../errors.js';

/**
 * Environment variables of the public interface (docs/design.md, "Public interface") and the config path
 * each one sets. A secret is also read from the file `<NAME>_FILE` names; `filePath`, when given, is where
 * that file's path is kept, for a setting that is read again on rotation.
 */
const ENV_BINDINGS = [
  { env: 'HOOK_ALERTS_TOKEN', path: ['server', 'token'], kind: 'string', secret: true, filePath: ['server', 'tokenFile'] },
  { env: 'HOOK_ALERTS_VIEWER_TOKEN', path: ['server', 'viewerToken'], kind: 'string', secret: true, filePath: ['server', 'viewerTokenFile'] },
  { env: 'HOOK_ALERTS_LINK_SIGNING_KEY', path: ['server', 'linkSigningKey'], kind: 'string', secret: true },
  { env: 'HOOK_ALERTS_PUBLIC_URL', path: ['server', 'publicUrl'], kind: 'string', secret: false },
  { env: 'HOST', path: ['server', 'host'], kind: 'string', secret: false },
  { env: 'PORT', path: ['server', 'port'], kind: 'integer', secret: false },
  { env: 'HOOK_ALERTS_DATA_DIR', path: ['dataDir'], kind: 'string', secret: false },
  { env: 'HOOK_ALERTS_DATABASE_URL', path: ['store', 'postgres', 'url'], kind: 'string', secret: true },
  { env: 'HOOK_ALERTS_DATABASE_PASSWORD', path: ['store', 'postgres', 'password'], kind: 'string', secret: true },
  { env: 'SLACK_BOT_TOKEN', path: ['slack', 'token'], kind: 'string', secret: true, filePath: ['slack', 'tokenFile'] },
  { env: 'SLACK_API_URL', path: ['slack', 'apiUrl'], kind: 'string', secret: false },
  { env: 'SLACK_CHANNEL', path: ['routing', 'defaultRoute', 'slack'], kind: 'list', secret: false },
  { env: 'SMTP_URL', path: ['email', 'smtpUrl'], kind: 'string', secret: true },
  { env: 'SMTP_PASSWORD', path: ['email', 'smtpPassword'], kind: 'string', secret: true, filePath: ['email', 'smtpPasswordFile'] },
  { env: 'SMTP_PROXY', path: ['email', 'proxy'], kind: 'string', secret: true },
  { env: 'EMAIL_FROM', path: ['email', 'from'], kind: 'string', secret: false },
  { env: 'EMAIL_TO', path: ['routing', 'defaultRoute', 'email'], kind: 'list', secret: false },
  { env: 'LOG_LEVEL', path: ['logging', 'level'], kind: 'string', secret: false },
] as const;

const SECRET_PATHS = new Set(['server.token', 'server.viewerToken', 'server.linkSigningKey', 'slack.token', 'email.smtpUrl', 'email.smtpPassword', 'email.proxy', 'store.postgres.url', 'store.postgres.password']);

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

/**
 * Environment values mapped onto config paths, the variable behind each path for error messages, and the
 * variables that could not be used (a secret file that cannot be read, a secret set twice).
 */
function environmentLayer(env: NodeJS.ProcessEnv): { layer: JsonObject; sources: Map<string, string>; problems: ProblemDetail[] } {
  const layer: JsonObject = {};
  const sources = new Map<string, string>();
  const problems: ProblemDetail[] = [];
  for (const binding of ENV_BINDINGS) {
    const path = binding.path.join('.');
    if (binding.secret) {
      const secret = secretFromEnv(env, binding.env);
      if (secret === undefined) continue;
      if (!secret.ok) {
        problems.push({ path: `${path} (from ${secret.variable})`, message: secret.message });
        continue;
      }
      setPath(layer, binding.path, secret.value);
      if ('filePath' in binding && secret.file !== undefined) setPath(layer, binding.filePath, secret.file);
      sources.set(path, secret.variable);
      continue;
    }
    const raw = env[binding.env];
    if (raw === undefined || raw === '') continue;
    let value: Json = raw;
    if (binding.kind === 'integer') value = /^\d+$/.test(raw) ? Number(raw) : raw;
    if (binding.kind === 'list') value = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    setPath(layer, binding.path, value);
    sources.set(path, binding.env);
  }
  return { layer, sources, problems };
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

function sourcedPath(path: string, sources: Map<string, string>): string {
  const source = sources.get(path);
  return source === undefined ? path : `${path} (from ${source})`;
}

/**
 * SMTP_URL is parsed here, once, so that the email sink never sees one nodemailer cannot read; a separate
 * SMTP password needs the URL's user name and must not compete with a password in the URL.
 */
function smtpUrlProblems(config: Config, sources: Map<string, string>): ProblemDetail[] {
  const { smtpUrl, smtpPassword } = config.email;
  if (smtpUrl === undefined) {
    if (smtpPassword === undefined) return [];
    return [{ path: sourcedPath('email.smtpPassword', sources), message: 'an SMTP password without SMTP_URL: set SMTP_URL (smtp://user@host:587) too, or remove the password' }];
  }
  const check = checkSmtpUrl(smtpUrl);
  if (!check.ok) return [{ path: sourcedPath('email.smtpUrl', sources), message: check.message }];
  if (smtpPassword === undefined) return [];
  if (check.url.password !== '') {
    return [{ path: sourcedPath('email.smtpPassword', sources), message: 'SMTP_URL holds a password too: remove it from the URL (smtp://user@host:587), so that the password is set in one place' }];
  }
  if (check.url.username === '') {
    return [{ path: sourcedPath('email.smtpPassword', sources), message: 'SMTP_URL names no user for the password: smtp://user@host:587' }];
  }
  return [];
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
  const { layer: envLayer, sources, problems: envProblems } = environmentLayer(env);
  // A secret file is read and watched only when the environment names it, so that the secret's one source is clear.
  for (const binding of ENV_BINDINGS) {
    if (!('filePath' in binding)) continue;
    const [section, key] = binding.filePath;
    const fromFile = fileLayer[section];
    if (isObject(fromFile) && fromFile[key] !== undefined) {
      envProblems.push({ path: `${section}.${key}`, message: `is set by ${binding.env}_FILE only: set that variable to read the secret from a file` });
    }
  }
  const merged = mergeConfig(mergeConfig(fileLayer, envLayer), opts.overrides ?? {});
  const result = configSchema.safeParse(merged, { reportInput: true });
  const problems = [
    ...envProblems,
    ...(result.success ? [...smtpUrlProblems(result.data, sources), ...databaseProblems(result.data, sources)] : toProblems(result.error.issues, sources)),
  ];
  if (!result.success || problems.length > 0) {
    const where = file === undefined || file === '' ? 'the environment' : `${file} and the environment`;
    throw withIssues(CODE_CONFIG_INVALID, 500, `invalid configuration (from ${where}); fix each setting below:`, problems);
  }
  return deepFreeze(result.data);
}
