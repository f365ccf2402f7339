// Structured pino logging. One root logger per process; callers take a child logger carrying their ids
// (workflowId, runId, activity) so every line can be traced back to a run.
import pino, { type Logger } from 'pino';

export type { Logger };

/** A JSON logger to stdout, or to `file` (appended) when the terminal is kept for human output. */
export function createLogger(level: string, name = 'streamforge', file?: string): Logger {
  const options = { name, level, base: { pid: process.pid } };
  return file ? pino(options, pino.destination({ dest: file, mkdir: true, append: true, sync: false })) : pino(options);
}
