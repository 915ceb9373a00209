import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';

/** A secret file's content, or why it could not be read (the words never hold the content). */
export type SecretFileRead = { ok: true; value: string } | { ok: false; message: string };

/**
 * Read a secret mounted as a file (a Kubernetes Secret volume, a Docker secret). One trailing line break is
 * dropped, since `echo token > file` and most editors add one; an empty file is refused, as an empty
 * secret is always a mistake.
 */
export function readSecretFile(path: string): SecretFileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return { ok: false, message: `cannot read ${path} (${code}): mount the secret at that path, or fix the path` };
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') return { ok: false, message: `${path} is empty: write the secret into it` };
  return { ok: true, value };
}

/** How long a secret read from a file is used before the file is read again (ms): a rotation takes effect within it. */
const SECRET_FILE_REREAD_MS = 1_000;

/** Options of `rereadingSecretFile`. */
interface RereadOptions {
  /** Milliseconds since an epoch; the file is read again once this has moved `intervalMs` past the last read. */
  now: () => number;
  intervalMs: number;
  /** What is wrong with a value read, or null to take it; a refused value counts as a failed read. */
  check: (value: string) => string | null;
  /** Told once when a read fails after a good one (the last good value stays in use), and once when it recovers. */
  onChange: (event: { ok: false; message: string } | { ok: true; changed: boolean }) => void;
}

/**
 * A secret file that is read again, at most once per interval and only when asked, so that a rotated
 * Secret (kubelet swaps the mounted file in place) takes effect without a restart. A file that cannot be
 * read later keeps the last good value: a half-done rotation must not lock every caller out.
 */
function rereadingSecretFile(path: string, first: string, opts: RereadOptions): () => string {
  let value = first;
  let readAt = opts.now();
  let failing = false;
  return () => {
    const now = opts.now();
    if (now - readAt < opts.intervalMs) return value;
    readAt = now;
    const file = readSecretFile(path);
    const problem = file.ok ? opts.check(file.value) : null;
    const read: SecretFileRead = file.ok && problem !== null ? { ok: false, message: `${path}: ${problem}` } : file;
    if (!read.ok) {
      if (!failing) opts.onChange(read);
      failing = true;
      return value;
    }
    const changed = read.value !== value;
    if (changed || failing) opts.onChange({ ok: true, changed });
    failing = false;
    value = read.value;
    return value;
  };
}

/** What to log when a re-read secret file changes: the level and the words, naming the variable that names the file. */
function describeSecretFileChange(
  event: { ok: false; message: string } | { ok: true; changed: boolean },
  what: { secret: string; variable: string; changed: string },
): { level: 'error' | 'info'; message: string } {
  if (!event.ok) return { level: 'error', message: `${event.message}; the previous ${what.secret} stays in use until the file is fixed` };
  if (event.changed) return { level: 'info', message: `${what.secret} changed in ${what.variable}: ${what.changed}` };
  return { level: 'info', message: `${what.variable} is readable again` };
}

/** What `loggedSecretFile` needs beside the path and the first value. */
export interface LoggedSecretFileOptions {
  now: () => number;
  logger: Pick<Logger, 'info' | 'error'>;
  /** The secret and its variable, as `describeSecretFileChange` words them. */
  what: { secret: string; variable: string; changed: string };
  /** Fields of each log line: which file (never the secret). */
  fields: Record<string, string>;
  /** What is wrong with a value read, or null to take it (default: any non-empty value). */
  check?: (value: string) => string | null;
}

/**
 * A `*_FILE` secret read again at most every SECRET_FILE_REREAD_MS, its changes and failures logged once
 * each: the one form the webhook and viewer tokens, the Slack token and the SMTP password all take.
 */
export function loggedSecretFile(path: string, first: string, opts: LoggedSecretFileOptions): () => string {
  return rereadingSecretFile(path, first, {
    now: opts.now,
    intervalMs: SECRET_FILE_REREAD_MS,
    check: opts.check ?? (() => null),
    onChange: (event) => {
      const { level, message } = describeSecretFileChange(event, opts.what);
      opts.logger[level](opts.fields, message);
    },
  });
}

/**
 * A thing built from a secret (a client, a connection pool), built again when the secret changes; the one
 * it replaces is handed to `retire` (closed once its calls are done).
 */
export function builtFromSecret<T>(secret: () => string, build: (value: string) => T, retire: (old: T) => void): () => T {
  let value = secret();
  let built = build(value);
  return () => {
    const now = secret();
    if (now !== value) {
      retire(built);
      value = now;
      built = build(value);
    }
    return built;
  };
}
