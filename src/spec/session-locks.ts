import type { SessionKey } from "./session-buffer.js";

/**
 * Makes the work on one session (buffer, cut, extract) exclusive across every process that
 * shares a backend. The embedded backend has one process per root (its root lock), so an
 * in-process mutex is enough there; a shared database needs a lock in the database.
 */
export interface SessionLocks {
  run<T>(key: SessionKey, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
