import type { Logger } from "../log.js";
import type { SessionBuffer } from "../spec/session-buffer.js";
import type { MemoryFormation } from "./formation.js";

/**
 * Sessions untouched for `idle_flush_seconds` become episodes in the background. A shared backend
 * claims the idle sessions it hands out, so one process flushes each; a failed flush gives its
 * claim back.
 */
export class IdleFlush {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly buffer: SessionBuffer,
    private readonly formation: MemoryFormation,
    private readonly logger: Logger,
    /** False while the memory cannot write (an index that needs reindex): the scan is skipped. */
    private readonly canFlush: () => boolean,
  ) {}

  start(idleSeconds: number): void {
    const idleMs = idleSeconds * 1000;
    this.stopped = false;
    this.timer = setInterval(() => {
      if (this.running !== undefined || !this.canFlush()) return;
      this.running = this.flushIdle(idleMs).finally(() => {
        this.running = undefined;
      });
    }, Math.min(Math.max(idleMs / 4, 50), 30_000));
    // The timer must not keep a process alive that is otherwise done.
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async flushIdle(idleMs: number): Promise<void> {
    for (const key of await this.buffer.idleSessions(Date.now() - idleMs)) {
      if (this.stopped) {
        await this.buffer.releaseClaim?.(key).catch(() => undefined);
        continue;
      }
      try {
        const { episodes } = await this.formation.flush(key);
        this.logger.info({ session: key.sessionId, episodes: episodes.length }, "idle session flushed");
      } catch (error) {
        this.logger.warn({ err: error, session: key.sessionId }, "idle flush failed; will retry");
        await this.buffer.releaseClaim?.(key).catch(() => undefined);
      }
    }
  }
}
