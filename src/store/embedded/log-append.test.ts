/**
 * Adds append to the markdown daily log instead of rewriting it (log-append.ts), and the file
 * stays the one a full rewrite would have made: readable, parseable, equal byte for byte.
 */
import { existsSync } from "node:fs";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { makeRecord } from "../conformance.suite.js";
import { EmbeddedStore } from "./embedded-store.js";
import { appendToLog } from "./log-append.js";
import { appendEntries, logFilePath, parseLog, removeEntries, renderEntry, replaceEntry } from "./markdown-log.js";

const scope = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
const DAY = Date.UTC(2026, 2, 1, 12);
const at = (minute: number) => DAY + minute * 60_000;

describe("appendToLog", () => {
  let root: string;
  beforeEach(async () => {
    root = await makeTempRoot();
  });
  afterEach(async () => removeTempRoot(root));

  it("creates a new day's file and appends what appendEntries would have written", async () => {
    const path = join(root, "day.md");
    const [a, b, c] = [makeRecord(scope, "first", { timestamp: at(1) }), makeRecord(scope, "second", { timestamp: at(2) }), makeRecord(scope, "third", { timestamp: at(3) })];
    const created = appendToLog(path, undefined, [a!]);
    expect(await readFile(path, "utf8")).toBe(appendEntries(undefined, scope, "episode", "2026-03-01", [a!]));
    const grown = appendToLog(path, created, [b!, c!]);
    const content = await readFile(path, "utf8");
    expect(content).toBe(appendEntries(undefined, scope, "episode", "2026-03-01", [a!, b!, c!]));
    expect(grown).toBe(Buffer.byteLength(content));
    expect(parseLog(content).entries).toEqual([a, b, c]);
  });

  it("writes nothing to a file whose size is not the recorded one, or that exists when none is recorded", async () => {
    const path = join(root, "day.md");
    const a = makeRecord(scope, "first", { timestamp: at(1) });
    const size = appendToLog(path, undefined, [a])!;
    const before = await readFile(path, "utf8");
    const b = makeRecord(scope, "second", { timestamp: at(2) });
    expect(appendToLog(path, size - 1, [b])).toBeUndefined();
    expect(appendToLog(path, undefined, [b])).toBeUndefined();
    expect(appendToLog(join(root, "missing.md"), 10, [b])).toBeUndefined();
    // A file the catalog knows but that is gone (deleted by hand) is not created empty here:
    // the full rewrite path that follows decides what to write.
    expect(existsSync(join(root, "missing.md"))).toBe(false);
    expect(await readFile(path, "utf8")).toBe(before);
  });

  it("after an edit that leaves a blank line at the end, appends as appendEntries does", async () => {
    const path = join(root, "day.md");
    const a = makeRecord(scope, "first", { timestamp: at(1) });
    const withBlank = `${appendEntries(undefined, scope, "episode", "2026-03-01", [a])}\n`;
    await writeFile(path, withBlank);
    const b = makeRecord(scope, "second", { timestamp: at(2) });
    appendToLog(path, Buffer.byteLength(withBlank), [b]);
    expect(await readFile(path, "utf8")).toBe(appendEntries(withBlank, scope, "episode", "2026-03-01", [b]));
  });
});

describe("EmbeddedStore: append, then rewrite on change", () => {
  let root: string;
  let store: EmbeddedStore;
  const file = () => join(root, logFilePath(scope, "episode", DAY));
  beforeEach(async () => {
    root = await makeTempRoot();
    store = new EmbeddedStore({ root });
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    await removeTempRoot(root);
  });

  it("single adds, an update and a delete leave the file a full rewrite would have made", async () => {
    const records = Array.from({ length: 6 }, (_, i) => makeRecord(scope, `entry ${i}`, { timestamp: at(i) }));
    for (const record of records) await store.apply([{ op: "add", record }]);
    let expected = appendEntries(undefined, scope, "episode", "2026-03-01", records);
    expect(await readFile(file(), "utf8")).toBe(expected);

    const edited = { ...records[2]!, text: "entry 2, edited", hash: "edited", updatedAt: records[2]!.updatedAt + 1 };
    await store.apply([{ op: "update", record: edited }]);
    await store.apply([{ op: "delete", id: records[4]!.id }]);
    expected = removeEntries(replaceEntry(expected, edited), [records[4]!.id]).content;
    expect(await readFile(file(), "utf8")).toBe(expected);

    // Adds after the rewrite append again, to the rewritten file.
    const later = makeRecord(scope, "entry after the rewrite", { timestamp: at(10) });
    await store.apply([{ op: "add", record: later }]);
    expected = appendEntries(expected, scope, "episode", "2026-03-01", [later]);
    const content = await readFile(file(), "utf8");
    expect(content).toBe(expected);
    expect(parseLog(content).entries.map((record) => record.text)).toEqual(["entry 0", "entry 1", "entry 2, edited", "entry 3", "entry 5", "entry after the rewrite"]);
  });

  it("keeps what a person appended to the file by hand, and adds after it", async () => {
    const first = makeRecord(scope, "first", { timestamp: at(1) });
    await store.apply([{ op: "add", record: first }]);
    await appendFile(file(), "\nA note I typed myself.\n");
    const second = makeRecord(scope, "second", { timestamp: at(2) });
    await store.apply([{ op: "add", record: second }]);
    const content = await readFile(file(), "utf8");
    expect(content).toContain("A note I typed myself.");
    expect(parseLog(content).entries).toEqual([first, second]);
    // The size is known again: the next add appends.
    const third = makeRecord(scope, "third", { timestamp: at(3) });
    await store.apply([{ op: "add", record: third }]);
    expect(await readFile(file(), "utf8")).toBe(appendEntries(content, scope, "episode", "2026-03-01", [third]));
  });

  it("an entry left by an add that a crash stopped before its catalog commit is replaced by the retry, not written twice", async () => {
    const first = makeRecord(scope, "first", { timestamp: at(1) });
    await store.apply([{ op: "add", record: first }]);
    // The crashed add's entry is in the file (the append happened), its catalog row is not.
    const retried = makeRecord(scope, "retried", { timestamp: at(2) });
    await appendFile(file(), `\n${renderEntry(retried)}`);
    expect(parseLog(await readFile(file(), "utf8")).entries.map((record) => record.id)).toEqual([first.id, retried.id]);
    await store.apply([{ op: "add", record: retried }]);
    const content = await readFile(file(), "utf8");
    expect(parseLog(content).entries).toEqual([first, retried]);
    expect(await store.get(retried.id)).toEqual(retried);
  });
});
