import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IndexMismatchError, LocalEmbedder, Memory } from "../src/index.js";
import { healthReport } from "../src/server/health.js";
import { omnimem } from "./support/cli-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const silent = { logLevel: "silent" as const };
const identityFile = (root: string) => join(root, ".index", "lance", "omnimem-index.json");

describe("a root remembers its local embedder", () => {
  let root: string;
  const open: Memory[] = [];
  const openMemory = async (options: Parameters<typeof Memory.open>[0] = {}) => {
    const memory = await Memory.open({ root, ...silent, ...options });
    open.push(memory);
    return memory;
  };

  beforeEach(async () => {
    root = await makeTempRoot();
  });

  afterEach(async () => {
    for (const memory of open.splice(0)) await memory.close();
    await removeTempRoot(root);
  });

  it("upgrade: a root built with the old default (hashed, 256) opens and searches with it, without a reindex", async () => {
    // The previous version's default: LocalEmbedder at 256 dimensions, which the index records as below.
    const before = await openMemory({ embedder: new LocalEmbedder({ dimensions: 256 }) });
    const { results } = await before.add("The whiteboard from the planning session listed three launch risks", { userId: "alice", infer: false });
    await before.close();
    expect(JSON.parse(await readFile(identityFile(root), "utf8"))).toMatchObject({ model: "omnimem-local-hash-v1", dimensions: 256 });

    const after = await openMemory();
    expect(after.embedderInfo).toMatchObject({ name: "hashed", dimensions: 256, chosenBy: "root" });
    for (const method of ["hybrid", "vector", "keyword"] as const) {
      const found = await after.search("planning session whiteboard", { userId: "alice", method });
      expect(found.results[0]?.id, method).toBe(results[0]!.id);
    }
    // And it keeps writing with it: a new memory is found by the hashed vectors too.
    const added = await after.add("Renewed the passport at the consulate", { userId: "alice", infer: false });
    const found = await after.search("passport consulate", { userId: "alice", method: "vector" });
    expect(found.results[0]?.id).toBe(added.results[0]!.id);
  });

  it("keeps a hashed root's own dimension even when the configured dimension differs", async () => {
    const before = await openMemory({ localEmbedding: { embedder: "hashed", dimensions: 64 } });
    await before.add("Dentist on Monday", { userId: "bob", infer: false });
    await before.close();
    const after = await openMemory({ localEmbedding: { dimensions: 256 } });
    expect(after.embedderInfo).toMatchObject({ name: "hashed", dimensions: 64, chosenBy: "root" });
    expect((await after.search("dentist", { userId: "bob" })).results).toHaveLength(1);
  });

  it("gives a new root the word-vector embedder, and keeps it on reopening", async () => {
    const first = await openMemory();
    expect(first.embedderInfo).toMatchObject({ name: "word-vectors", dimensions: 128, chosenBy: "default" });
    await first.add("I switched from oat milk to soy milk in my coffee", { userId: "carol", infer: false });
    await first.close();
    expect(JSON.parse(await readFile(identityFile(root), "utf8")).model).toMatch(/^omnimem-word-vectors-v1 /);
    const again = await openMemory();
    expect(again.embedderInfo).toMatchObject({ name: "word-vectors", chosenBy: "root" });
  });

  it("moves a root to another embedder by naming it and reindexing; the root then remembers the new one", async () => {
    const hashed = await openMemory({ localEmbedding: { embedder: "hashed", dimensions: 256 } });
    const { results } = await hashed.add("I adopted a beagle named Biscuit", { userId: "dan", infer: false });
    await hashed.close();

    const moving = await openMemory({ localEmbedding: { embedder: "word-vectors", dimensions: 256 } });
    expect(moving.embedderInfo).toMatchObject({ name: "word-vectors", chosenBy: "config" });
    await expect(moving.search("beagle", { userId: "dan" })).rejects.toBeInstanceOf(IndexMismatchError);
    await moving.reindex();
    expect((await moving.search("beagle", { userId: "dan", method: "vector" })).results[0]?.id).toBe(results[0]!.id);
    await moving.close();

    const after = await openMemory();
    expect(after.embedderInfo).toMatchObject({ name: "word-vectors", chosenBy: "root" });
    expect((await after.search("Biscuit", { userId: "dan" })).results[0]?.id).toBe(results[0]!.id);
  });

  it("rejects an embedder name it does not know, writing nothing", async () => {
    await expect(openMemory({ localEmbedding: { embedder: "glove" as never, dimensions: 256 } })).rejects.toMatchObject({
      code: "INVALID_INPUT",
      details: { path: "localEmbedding.embedder" },
    });
    expect(await readdir(root)).toEqual([]);
  });

  it("says which embedder a root uses (/health, doctor, config show), and `omnimem reindex --embedder` moves it", async () => {
    const hashed = await openMemory({ embedder: new LocalEmbedder({ dimensions: 256 }) });
    const { results } = await hashed.add("I adopted a beagle named Biscuit", { userId: "erin", infer: false });
    await hashed.close();

    const reopened = await openMemory();
    const health = healthReport(reopened).capabilities.embedding;
    expect(health).toMatchObject({ state: "local" });
    expect(health.detail).toMatch(/^hashed: .*256 dimensions; the one this root was built with/);
    expect(health.enable).toContain("omnimem reindex --embedder word-vectors");
    await reopened.close();

    const shown = await omnimem(["config", "show", "--root", root, "--json"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout).embedder).toEqual({ name: "hashed", chosenBy: "root" });

    const moved = await omnimem(["reindex", "--root", root, "--embedder", "word-vectors", "--json", "--log-level", "silent"]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ records: 1, embedder: "word-vectors" });

    const after = await omnimem(["config", "show", "--root", root]);
    expect(after.stdout).toContain("embedder:    word-vectors (the one this root was built with)");
    const memory = await openMemory();
    expect(memory.embedderInfo).toMatchObject({ name: "word-vectors", chosenBy: "root" });
    expect(healthReport(memory).capabilities.embedding.detail).toMatch(/^word-vectors: /);
    expect((await memory.search("beagle", { userId: "erin", method: "vector" })).results[0]?.id).toBe(results[0]!.id);

    const refused = await omnimem(["reindex", "--root", root, "--embedder", "glove", "--log-level", "silent"]);
    expect(refused.code).toBe(65);
    // Four CLI processes, each loading the engine: seconds apiece on a busy machine.
  }, 180_000);
});
