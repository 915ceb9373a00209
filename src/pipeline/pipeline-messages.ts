import type { Config } from '../config/schema.js';
import type { SinkName } from '../model/sink.js';
import type { MetricsJson, PipelineHealth } from './delivery-pipeline.js';

/** What the pipeline thread starts with. */
export interface PipelineThreadData {
  config: Config;
  sinkNames: SinkName[];
  /** The service logger's level. */
  logLevel: string;
  /** Send log lines to the main thread (whose logger writes somewhere other than stdout) instead of writing them to stdout. */
  forwardLogs: boolean;
}

/** An error as it crosses threads: structured cloning keeps an Error's message but not its code or exit code. */
export interface ThreadError {
  name: string;
  message: string;
  code?: string;
  exitCode?: number;
  stack?: string;
}

/** Main thread → pipeline thread. */
export type PipelineRequest =
  | { type: 'start' }
  | { type: 'notify' }
  | { type: 'health'; id: number }
  | { type: 'metrics'; id: number }
  | { type: 'close' };

/** Pipeline thread → main thread. */
export type PipelineReply =
  | { type: 'ready' }
  | { type: 'failed'; error: ThreadError }
  | { type: 'health'; id: number; health: PipelineHealth }
  | { type: 'metrics'; id: number; metrics: MetricsJson }
  | { type: 'log'; line: string }
  | { type: 'closed'; error?: ThreadError };

/** The parts of an error worth carrying to the other thread. */
export function toThreadError(err: unknown): ThreadError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const { code, exitCode } = err as { code?: unknown; exitCode?: unknown };
  return {
    name: err.name,
    message: err.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof exitCode === 'number' ? { exitCode } : {}),
    ...(err.stack === undefined ? {} : { stack: err.stack }),
  };
}
