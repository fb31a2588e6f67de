/**
 * Serialises async work per key (an owner's folder, a session) within this process.
 * Cross-process exclusion is the root lock's job.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      // Forget the key once nothing else queued behind us, so the map does not grow forever.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Runs work holding every key, acquired in sorted order so two callers cannot deadlock. */
  async runAll<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const acquire = (index: number): Promise<T> =>
      index === sorted.length ? work() : this.run(sorted[index]!, () => acquire(index + 1));
    return acquire(0);
  }
}
