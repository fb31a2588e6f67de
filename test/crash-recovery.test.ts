import { spawn } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const CHILD = join(import.meta.dirname, "support", "crash-child.ts");

/**
 * Starts the child and resolves with the memory ids once its add was acknowledged while the
 * index write it owes hangs (the index is written behind the add).
 */
function runChildUntilIndexWrite(root: string): Promise<{ ids: string[]; kill: () => Promise<NodeJS.Signals | null> }> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, root], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const indexing = /BEFORE_INDEX_WRITE (\S+)\n/.exec(stdout);
      const returned = /ADD_RETURNED (\S+)\n/.exec(stdout);
      if (indexing && returned) {
        if (indexing[1] !== returned[1]) reject(new Error(`the index write holds ${indexing[1]}, the add returned ${returned[1]}`));
        resolve({ ids: returned[1]!.split(","), kill: () => (child.kill("SIGKILL"), exited) });
      }
    });
    child.on("exit", (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
  });
}

describe("crash after an acknowledged add, before its index write", () => {
  let root: string;
  afterEach(async () => removeTempRoot(root));

  it("replays the outbox at the next start, so the memory is searchable", async () => {
    root = await makeTempRoot();
    const child = await runChildUntilIndexWrite(root);
    expect(await child.kill()).toBe("SIGKILL");
    const [id] = child.ids;

    // The truth and the outbox hold the write; the index does not.
    const episodes = join(root, "default/default/users/alice/episodes");
    const [file] = await readdir(episodes);
    const log = await readFile(join(episodes, file!), "utf8");
    expect(log).toContain(`<!-- entry:${id} -->`);
    const state = new Database(join(root, ".index", "state.db"), { readonly: true });
    expect(state.prepare("SELECT memory_id, op FROM outbox").all()).toEqual([{ memory_id: id, op: "upsert" }]);
    state.close();

    // The dead child's root lock is taken over; opening replays the outbox.
    const memory = await Memory.open({ root, logLevel: "silent" });
    try {
      for (const method of ["keyword", "vector", "hybrid"] as const) {
        const { results } = await memory.search("where is the spare key", { userId: "alice", method });
        expect(results.map((r) => r.id), method).toEqual([id]);
      }
      expect(await memory.backend.store.pendingIndexJobs(10)).toEqual([]);
    } finally {
      await memory.close();
    }
  });
});
