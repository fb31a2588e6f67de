/**
 * WAL checkpoints off the main thread.
 *
 * SQLite checkpoints a WAL database inside the commit that takes the log past 1,000 pages: that
 * commit copies the log into the database file and fsyncs it, on whichever thread committed. On
 * the embedded store that is the add being answered: one add in about 70 took 4–8 ms instead of
 * 0.1 ms for its transaction, which was the whole of the single-add p99.
 *
 * So the store's connection does not checkpoint (`wal_autocheckpoint = 0`) and a worker thread
 * with a connection of its own does, in PASSIVE mode (it never waits for the writer and the
 * writer never waits for it): every CHECK_INTERVAL_MS, when another connection has committed since
 * its last look (`PRAGMA data_version`). The worker is unref'd (it never keeps a process alive).
 * If it cannot run (a platform without worker threads, a failure while opening), the store's
 * connection goes back to checkpointing itself: slower tails, same data.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import type { Logger } from "../../log.js";

/** How often the worker looks for new commits; the WAL holds at most about this long of writes. */
const CHECK_INTERVAL_MS = 250;
/** SQLite's default, restored when the worker is gone. */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * The worker's code, evaluated as a CommonJS script: it needs no file of its own, so it runs the
 * same from src/ under a TypeScript loader and from dist/. `better-sqlite3` comes as a resolved
 * path, as an eval'd script resolves modules from the working directory, not from this package.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
// Nothing seen yet: the first look checkpoints whatever was committed before this thread ran
// (a worker slow to start, on a busy machine, would otherwise take the writer's last commit
// for one it had already copied, and leave the log uncopied until the next commit).
let seen = -1;
const timer = setInterval(() => {
  try {
    const version = db.pragma("data_version", { simple: true });
    if (version === seen) return;
    seen = version;
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    // SQLITE_BUSY: another checkpoint runs; the next tick tries again.
    if (error && error.code === "SQLITE_BUSY") return;
    clearInterval(timer);
    parentPort.postMessage({ failed: String(error && error.message) });
  }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  private worker: Worker | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly logger: Logger | undefined,
  ) {}

  /** Moves the checkpoints of `db` (a WAL database at `path`) to a worker thread. */
  static start(db: Database.Database, path: string, logger?: Logger): WalCheckpointer {
    const checkpointer = new WalCheckpointer(db, logger);
    checkpointer.spawn(path);
    return checkpointer;
  }

  private spawn(path: string): void {
    let worker: Worker;
    try {
      const driver = createRequire(import.meta.url).resolve("better-sqlite3");
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, path, intervalMs: CHECK_INTERVAL_MS } });
    } catch (error) {
      this.fallBack(error);
      return;
    }
    worker.unref();
    worker.on("message", (message: { failed?: string }) => {
      if (message.failed !== undefined) this.fallBack(new Error(message.failed));
    });
    worker.on("error", (error) => this.fallBack(error));
    this.worker = worker;
    this.db.pragma("wal_autocheckpoint = 0");
  }

  /** The store's connection checkpoints again (the worker failed). */
  private fallBack(error: unknown): void {
    this.logger?.warn({ err: error }, "WAL checkpoints run on the writing thread: the checkpoint worker failed");
    void this.worker?.terminate();
    this.worker = undefined;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  }

  /** Stops the worker and waits until its connection is closed (before the store closes its own). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    // Referenced again while it closes: an unref'd worker is no reason for Node to wait, and a
    // process with nothing else to do would exit in the middle of this await.
    worker.ref();
    worker.postMessage("close");
    await exited;
  }
}
