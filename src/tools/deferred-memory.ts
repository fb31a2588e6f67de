import type { MemoryPort } from "./memory-port.js";

/**
 * A MemoryPort whose memory opens on first need: `open` runs once, when `start()` is called or a
 * call needs the memory, whichever comes first; each call waits for it. `omnimem mcp` answers the
 * client's handshake before loading the engine (native index, parsers), so a client that starts
 * it is not kept waiting; an open that fails makes every call fail with the open's error.
 */
export interface DeferredMemory extends MemoryPort {
  /** Starts opening (idempotent) and returns the opening memory. */
  start(): Promise<MemoryPort>;
}

export function deferredMemory(open: () => Promise<MemoryPort>): DeferredMemory {
  let opening: Promise<MemoryPort> | undefined;
  const start = (): Promise<MemoryPort> => {
    if (opening === undefined) {
      opening = open();
      // A failure is reported by the calls that need the memory, not as an unhandled rejection.
      opening.catch(() => undefined);
    }
    return opening;
  };
  return {
    start,
    add: async (...args) => (await start()).add(...args),
    search: async (...args) => (await start()).search(...args),
    getAll: async (...args) => (await start()).getAll(...args),
    get: async (...args) => (await start()).get(...args),
    update: async (...args) => (await start()).update(...args),
    delete: async (...args) => (await start()).delete(...args),
    history: async (...args) => (await start()).history(...args),
    flush: async (...args) => (await start()).flush(...args),
  };
}
