/**
 * Bounds how many async tasks run at once (model calls, OCR jobs, loads of one request).
 *
 * A task must never wait for another task of the same semaphore: when every slot is held by
 * tasks that wait, nothing runs again. So a semaphore guards leaf work (one model request), not
 * work that can nest (a parse that parses an attachment).
 */
export class Semaphore {
  private available: number;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
    this.available = limit;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    // The slot passes straight to the next waiter, so a newcomer cannot take it in between
    // and push the count over the limit.
    const next = this.waiting.shift();
    if (next === undefined) this.available++;
    else next();
  }
}
