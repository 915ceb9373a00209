import { readSecretFile } from '../secret-file.js';

/** A secret setting found in the environment, or why it cannot be used. */
export type SecretFromEnv =
  | { ok: true; value: string; variable: string; file: string | undefined }
  | { ok: false; variable: string; message: string };

/**
 * A secret from `NAME` or from the file named by `NAME_FILE` (the convention of Docker secrets and
 * Kubernetes Secret volumes); undefined when neither is set. Both set is refused: which one wins would be
 * a guess, and a stale value in the other would surface only at the next rotation.
 */
export function secretFromEnv(env: NodeJS.ProcessEnv, name: string): SecretFromEnv | undefined {
  const fileVariable = `${name}_FILE`;
  const direct = env[name];
  const file = env[fileVariable];
  const hasDirect = direct !== undefined && direct !== '';
  const hasFile = file !== undefined && file !== '';
  if (hasDirect && hasFile) {
    return { ok: false, variable: `${name} and ${fileVariable}`, message: `both are set: keep one (${fileVariable} for a mounted Secret)` };
  }
  if (hasDirect) return { ok: true, value: direct, variable: name, file: undefined };
  if (!hasFile) return undefined;
  const read = readSecretFile(file);
  return read.ok ? { ok: true, value: read.value, variable: fileVariable, file } : { ok: false, variable: fileVariable, message: read.message };
}
