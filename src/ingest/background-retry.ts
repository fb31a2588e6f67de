import pRetry from "p-retry";
import type { Logger } from "../log.js";

export interface BackgroundRetryOptions {
  /** First delay after a failed attempt; doubles (with jitter) up to `maxDelayMs`. */
  minDelayMs: number;
  maxDelayMs: number;
  logger?: Logger;
  /** What the log says is being retried. */
  what: string;
  /** Failures that are part of the plan (logged at debug, not as a warning). */
  expected?: (error: Error) => boolean;
}

/**
 * Runs `attempt` in the background until it succeeds, backing off between failures (p-retry:
 * exponential, jittered, its timers do not keep the process alive). `schedule()` while a run is
 * going makes it run once more after it succeeds, so work that failed meanwhile is not left
 * behind. `stop()` cancels the waiting and resolves once an attempt under way has finished.
 */
export class BackgroundRetry {
  private running: Promise<void> | undefined;
  private again = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly attempt: () => Promise<void>,
    private readonly options: BackgroundRetryOptions,
  ) {}

  schedule(): void {
    if (this.stopping.signal.aborted) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when no retry is running or scheduled (tests and `Memory.idle()` wait on it). */
  async idle(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { minDelayMs, maxDelayMs, logger, what } = this.options;
    do {
      this.again = false;
      try {
        await pRetry(
          async () => {
            try {
              await this.attempt();
            } catch (error) {
              // p-retry gives up at once on a TypeError; every failure here is worth another try.
              throw error instanceof TypeError ? new Error(error.message, { cause: error }) : error;
            }
          },
          {
            retries: Number.POSITIVE_INFINITY,
            minTimeout: minDelayMs,
            maxTimeout: maxDelayMs,
            randomize: true,
            unref: true,
            signal: this.stopping.signal,
            onFailedAttempt: ({ error, attemptNumber }) => {
              // stop() during an attempt: p-retry reports the abort as a failure; it is not one.
              if (this.stopping.signal.aborted) return;
              const level = this.options.expected?.(error) === true ? "debug" : "warn";
              logger?.[level]({ err: error, attempt: attemptNumber }, `${what} failed; retrying`);
            },
          },
        );
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        // Not reached with infinite retries; logged rather than thrown, as nobody awaits this.
        logger?.error({ err: error }, `${what} gave up`);
        return;
      }
    } while (this.again && !this.stopping.signal.aborted);
  }
}
