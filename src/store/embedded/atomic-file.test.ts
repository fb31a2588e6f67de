import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileIfExists, removeFileIfExists, writeFileAtomic } from "./atomic-file.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "omnimem-atomic-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("creates parent folders and writes UTF-8 content", async () => {
    const path = join(dir, "a", "b", "c", "2026-11-21.md");
    const content = "héllo 😀\r\n<!-- entry:x -->\n";
    await writeFileAtomic(path, content);
    expect(await readFile(path, "utf8")).toBe(content);
    expect(await readdir(join(dir, "a", "b", "c"))).toEqual(["2026-11-21.md"]);
  });

  it("replaces an existing file and leaves no temp file behind", async () => {
    const path = join(dir, "log.md");
    await writeFile(path, "old content that is longer than the new one");
    await writeFileAtomic(path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["log.md"]);
  });

  it("writes an empty file", async () => {
    const path = join(dir, "empty.md");
    await writeFileAtomic(path, "");
    expect(await readFile(path, "utf8")).toBe("");
  });

  it("ends with one complete version under concurrent writers", async () => {
    const path = join(dir, "log.md");
    const versions = Array.from({ length: 20 }, (_, i) => `version ${i}\n`.repeat(1000 + i));
    await Promise.all(versions.map((v) => writeFileAtomic(path, v)));
    expect(versions).toContain(await readFile(path, "utf8"));
    expect(await readdir(dir)).toEqual(["log.md"]);
  });

  it("removes its temp file when the rename fails", async () => {
    // A non-empty directory where the file should go: the rename cannot replace it.
    const path = join(dir, "target.md");
    await mkdir(join(path, "inner"), { recursive: true });
    await expect(writeFileAtomic(path, "content")).rejects.toThrow();
    expect(await readdir(dir)).toEqual(["target.md"]);
  });

  it("fails when a parent is a file", async () => {
    await writeFile(join(dir, "file"), "x");
    await expect(writeFileAtomic(join(dir, "file", "log.md"), "content")).rejects.toThrow();
  });
});

describe("readFileIfExists", () => {
  it("returns the content, or undefined when the file or a parent is missing", async () => {
    const path = join(dir, "x.md");
    expect(await readFileIfExists(path)).toBeUndefined();
    expect(await readFileIfExists(join(dir, "no", "such", "x.md"))).toBeUndefined();
    await writeFile(path, "abc");
    expect(await readFileIfExists(path)).toBe("abc");
    expect(await readFileIfExists(join(path, "below-a-file"))).toBeUndefined();
  });

  it("still throws for other errors", async () => {
    await expect(readFileIfExists(dir)).rejects.toThrow();
  });
});

describe("removeFileIfExists", () => {
  it("removes a file and reports whether it existed", async () => {
    const path = join(dir, "x.md");
    await writeFile(path, "abc");
    expect(await removeFileIfExists(path)).toBe(true);
    expect(await readFileIfExists(path)).toBeUndefined();
    expect(await removeFileIfExists(path)).toBe(false);
    expect(await removeFileIfExists(join(dir, "missing", "x.md"))).toBe(false);
  });

  it("does not remove a directory", async () => {
    await mkdir(join(dir, "sub"));
    await expect(removeFileIfExists(join(dir, "sub"))).rejects.toThrow();
  });
});
