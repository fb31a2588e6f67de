import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { StoreLockedError } from "../../spec/errors.js";

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * One process at a time owns a data root: per-owner locks and the outbox are in-process, so a
 * second writer would corrupt them. A lock left by a dead process (a crash) is taken over.
 */
export class RootLock {
  private held = false;

  constructor(private readonly path: string) {}

  acquire(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.path, "wx");
        const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
        writeSync(fd, JSON.stringify(owner));
        closeSync(fd);
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const owner = this.readOwner();
      if (owner !== undefined && owner.host === hostname() && isAlive(owner.pid)) {
        throw new StoreLockedError(
          `the data root is in use by process ${owner.pid} (started ${owner.startedAt}); stop it or use another root (lock file: ${this.path})`,
          { details: { pid: owner.pid, lockFile: this.path } },
        );
      }
      if (owner !== undefined && owner.host !== hostname()) {
        throw new StoreLockedError(
          `the data root is locked by process ${owner.pid} on host ${owner.host}; if that process is gone, delete ${this.path}`,
          { details: { pid: owner.pid, host: owner.host, lockFile: this.path } },
        );
      }
      rmSync(this.path, { force: true });
    }
    throw new StoreLockedError(`could not take the lock ${this.path}`);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    rmSync(this.path, { force: true });
  }

  private readOwner(): LockOwner | undefined {
    try {
      return JSON.parse(readFileSync(this.path, "utf8")) as LockOwner;
    } catch {
      return undefined;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
