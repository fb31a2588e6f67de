import { scopeKey } from "../spec/scope.js";
import type { SessionKey } from "../spec/session-buffer.js";
import type { SessionLocks } from "../spec/session-locks.js";
import { KeyedMutex } from "./keyed-mutex.js";

/**
 * Session locks within one process: enough where one process owns the data (the embedded
 * backend's root lock keeps every other process out), and the default for a backend without
 * locks of its own.
 */
export class InProcessSessionLocks implements SessionLocks {
  private readonly mutex = new KeyedMutex();

  run<T>(key: SessionKey, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(`${scopeKey(key.scope)}#${key.sessionId}`, work);
  }

  async close(): Promise<void> {}
}
