import type { MemoryPort } from "./memory-port.js";

/**
 * A MemoryPort whose memory is still opening: each call waits for it. `omnimem mcp` answers the
 * client's handshake while the engine (native index, parsers) loads, so a client that starts it
 * is not kept waiting; an open that fails makes every call fail with the open's error.
 */
export function deferredMemory(opening: Promise<MemoryPort>): MemoryPort {
  // A failure is reported by the calls that need the memory, not as an unhandled rejection.
  opening.catch(() => undefined);
  return {
    add: async (...args) => (await opening).add(...args),
    search: async (...args) => (await opening).search(...args),
    getAll: async (...args) => (await opening).getAll(...args),
    get: async (...args) => (await opening).get(...args),
    update: async (...args) => (await opening).update(...args),
    delete: async (...args) => (await opening).delete(...args),
    history: async (...args) => (await opening).history(...args),
    flush: async (...args) => (await opening).flush(...args),
  };
}
