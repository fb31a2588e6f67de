import { pino, type Logger } from "pino";

export type { Logger };

/** Logs go to stderr so that stdout stays clean for CLI output and `--json`. */
export function createLogger(level: string): Logger {
  return pino({ name: "omnimem", level }, pino.destination({ dest: 2, sync: true }));
}
