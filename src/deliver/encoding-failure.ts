import type { SinkOutcome } from '../model/sink.js';

/**
 * A permanent outcome when `err` is an encoding error (`URIError: URI malformed` from text that is not valid
 * Unicode): the same alert fails the same way on every retry, so retrying it for a day only hides it.
 * null for any other error, which the sink classifies as before.
 */
export function encodingFailure(err: unknown, where: string): SinkOutcome | null {
  if (!(err instanceof URIError)) return null;
  return {
    status: 'failed',
    error: `${where}: the alert's text cannot be encoded (${err.message}); retrying cannot fix it: the event holds text that is not valid Unicode (intake refuses it since this version)`,
  };
}
