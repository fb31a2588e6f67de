/**
 * SIGKILL at a random point while many adds run at once (group commit of the index, markdown
 * appends, the periodic sync all under way), then reopen: every add that was acknowledged is
 * there (catalog, markdown, search), the markdown parses, and the outbox is drained.
 *
 * CRASH_RUNS=20 npx vitest run test/crash-concurrent.test.ts   # repeat the kill 20 times
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { parseLog } from "../src/store/embedded/markdown-log.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const CHILD = join(import.meta.dirname, "support", "crash-concurrent-child.ts");
const RUNS = Number(process.env.CRASH_RUNS ?? 1);

/** Runs the child, kills it `afterMs` after its first acknowledged add, and returns the acknowledged ids by owner. */
async function addUntilKilled(root: string, afterMs: number): Promise<Map<string, string>> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, root, "8"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      // Adds are under way once the first one is acknowledged (the first ones load the embedder).
      if (stdout.includes("ACK ")) resolve();
    });
    child.on("exit", (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  const acknowledged = new Map<string, string>();
  // Only complete lines: a line cut by the kill was not fully printed, so not known as acknowledged.
  for (const line of stdout.split("\n").slice(0, -1)) {
    if (!line.startsWith("ACK ")) continue;
    for (const pair of line.slice(4).split(",")) {
      const [id, owner] = pair.split("=");
      acknowledged.set(id!, `owner${owner}`);
    }
  }
  return acknowledged;
}

describe("SIGKILL at a random point during concurrent adds", () => {
  let root: string;
  afterEach(async () => removeTempRoot(root));

  for (let run = 0; run < RUNS; run++) {
    it(`loses no acknowledged add (run ${run + 1} of ${RUNS})`, async () => {
      root = await makeTempRoot();
      const acknowledged = await addUntilKilled(root, Math.floor(Math.random() * 2000));
      expect(acknowledged.size).toBeGreaterThan(0);

      const memory = await Memory.open({ root, logLevel: "silent" });
      try {
        // Every acknowledged memory is in the catalog, with its text.
        const stored = await memory.backend.store.getMany([...acknowledged.keys()]);
        expect(stored.map((record) => record.id).sort()).toEqual([...acknowledged.keys()].sort());
        // The open replayed what the index owed; search finds a sample of them by their own word.
        expect(await memory.backend.store.pendingIndexJobs(10)).toEqual([]);
        const sample = stored.filter((_, i) => i % Math.max(1, Math.floor(stored.length / 15)) === 0);
        for (const record of sample) {
          const token = /token\d+x/.exec(record.text)![0];
          const { results } = await memory.search(token, { userId: acknowledged.get(record.id)!, method: "keyword" });
          expect(results.map((hit) => hit.id), token).toContain(record.id);
        }
        // The markdown is the truth: every file parses and holds every acknowledged entry.
        const store = memory.backend.markdown!;
        const inMarkdown = new Set<string>();
        for (const file of await store.logFiles()) {
          for (const record of parseLog(await readFile(join(root, file), "utf8"), file).entries) inMarkdown.add(record.id);
        }
        for (const id of acknowledged.keys()) expect(inMarkdown.has(id), id).toBe(true);
      } finally {
        await memory.close();
      }
    }, 120_000);
  }
});
