import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "src", "cli", "main.ts");

async function omnimem(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("omnimem CLI", () => {
  let root: string;
  beforeAll(async () => {
    root = await makeTempRoot();
  });
  afterAll(async () => removeTempRoot(root));

  it("adds and searches with --json", async () => {
    const added = await omnimem(["add", "--root", root, "--user", "alice", "--json", "I liked the curry at Nopi"]);
    expect(added.code).toBe(0);
    const { results } = JSON.parse(added.stdout) as { results: { id: string; event: string }[] };
    expect(results[0]?.event).toBe("ADD");
    const found = await omnimem(["search", "--root", root, "--user", "alice", "--json", "curry"]);
    expect(found.code).toBe(0);
    expect((JSON.parse(found.stdout) as { results: { id: string }[] }).results[0]?.id).toBe(results[0]!.id);
  });

  it("answers errors with the code's exit status and a JSON error", async () => {
    const bad = await omnimem(["search", "--root", root, "--user", "../bob", "--json", "curry"]);
    expect(bad.code).toBe(65);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: "INVALID_INPUT" } });
    const missing = await omnimem(["delete", "--root", root, "8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10"]);
    expect(missing.code).toBe(71);
    expect(missing.stderr).toContain("NOT_FOUND");
  });

  it("runs the offline demo", async () => {
    const demo = await omnimem(["demo", "--json"]);
    expect(demo.code).toBe(0);
    const report = JSON.parse(demo.stdout) as { added: number; bobSees: number; searches: Record<string, { memory: string } | null> };
    expect(report.added).toBe(4);
    expect(report.bobSees).toBe(0);
    expect(report.searches["hybrid: whiteboard from the planning session"]?.memory).toContain("whiteboard");
  });
});
