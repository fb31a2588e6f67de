import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Memory } from "../../memory.js";
import type { MemoryRecord } from "../../spec/types.js";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { exportLine, runExport } from "./export.js";

describe("exportLine", () => {
  it("gives every field with Mem0's names, ISO dates and null for what the record lacks", () => {
    const record: MemoryRecord = {
      id: "m1",
      kind: "fact",
      scope: { appId: "app", projectId: "proj", ownerType: "user", ownerId: "alice" },
      text: "Alice likes tea",
      userId: "alice",
      role: "user",
      timestamp: Date.UTC(2026, 0, 2, 3, 4, 5),
      createdAt: Date.UTC(2026, 0, 2),
      updatedAt: Date.UTC(2026, 0, 3),
      metadata: { mood: "calm" },
      episodeId: "e1",
      hash: "abc",
    };
    expect(exportLine(record)).toEqual({
      id: "m1",
      kind: "fact",
      memory: "Alice likes tea",
      user_id: "alice",
      agent_id: null,
      app_id: "app",
      project_id: "proj",
      session_id: null,
      run_id: null,
      sender_id: null,
      role: "user",
      timestamp: "2026-01-02T03:04:05.000Z",
      created_at: "2026-01-02T00:00:00.000Z",
      updated_at: "2026-01-03T00:00:00.000Z",
      metadata: { mood: "calm" },
      hash: "abc",
      episode_id: "e1",
      subject: null,
      summary: null,
      source_parts: [],
    });
  });

  it("names the files behind a memory's text with their parser", () => {
    const part = { type: "image", format: "png", name: "receipt.png", parser: "image/ocr", model: "tesseract.js", sha256: "ab".repeat(32), bytes: 2048 } as const;
    const record: MemoryRecord = {
      id: "m2",
      kind: "episode",
      scope: { appId: "app", projectId: "proj", ownerType: "user", ownerId: "alice" },
      text: "[image: receipt.png] TOTAL 12.40",
      timestamp: 0,
      createdAt: 0,
      updatedAt: 0,
      metadata: {},
      hash: "def",
      sourceParts: [part],
    };
    expect(exportLine(record).source_parts).toEqual([part]);
  });
});

describe("runExport refuses", () => {
  let root: string;
  let memory: Memory;

  beforeEach(async () => {
    root = await makeTempRoot();
    memory = await Memory.open({ root, logLevel: "error" });
  });
  afterEach(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  it("an unknown kind, a bad owner id and an unknown format", async () => {
    await expect(runExport(memory, { format: "jsonl", out: undefined, kind: "note" as "fact" })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "kind" } });
    await expect(runExport(memory, { format: "jsonl", out: undefined, userId: "../x" })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "userId" } });
    await expect(runExport(memory, { format: "csv" as "jsonl", out: undefined })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "format" } });
  });

  it("a markdown export that names both a user and an agent, or writes into a file", async () => {
    const out = join(root, "..", `${root.split("/").at(-1)}-out`);
    await expect(runExport(memory, { format: "markdown", out, userId: "a", agentId: "b" })).rejects.toMatchObject({ code: "INVALID_INPUT" });
    const elsewhere = await makeTempRoot("omnimem-export-");
    try {
      const file = join(elsewhere, "a-file");
      await writeFile(file, "x");
      await expect(runExport(memory, { format: "markdown", out: file })).rejects.toThrow(/is a file/);
    } finally {
      await removeTempRoot(elsewhere);
    }
  });

  it("a JSONL export into a folder", async () => {
    await expect(runExport(memory, { format: "jsonl", out: root })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "out" } });
  });

  it("nothing on an empty root: zero memories, an empty file", async () => {
    const out = join(await makeTempRoot("omnimem-export-"), "empty.jsonl");
    try {
      expect(await runExport(memory, { format: "jsonl", out })).toEqual({ format: "jsonl", memories: 0, files: [out] });
    } finally {
      await removeTempRoot(join(out, ".."));
    }
  });
});
