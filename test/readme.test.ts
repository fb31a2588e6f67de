import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_NODE_ARGS } from "./support/cli-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const README = join(import.meta.dirname, "..", "README.md");

/** The shell block that follows `<!-- readme-test: <name> -->` in the README, exactly as written there. */
async function readmeBlock(name: string): Promise<string> {
  const text = await readFile(README, "utf8");
  const marker = `<!-- readme-test: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`README has no ${marker}`);
  const match = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (match === null) throw new Error(`no sh block after ${marker}`);
  return match[1]!;
}

describe("README examples", () => {
  let home: string;
  beforeAll(async () => {
    home = await makeTempRoot("omnimem-readme-");
  });
  afterAll(async () => removeTempRoot(home));

  it("the CLI session runs as written, in a fresh folder with a fresh home", async () => {
    const block = await readmeBlock("cli");
    // `npx omnimem` is the package's bin; here it is the source entry, so no build is needed.
    const script = `set -euo pipefail\nnpx() { if [ "$1" = omnimem ]; then shift; node ${CLI_NODE_ARGS.join(" ")} "$@"; else command npx "$@"; fi; }\n${block}`;
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, TERM: "dumb" };
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile("bash", ["-c", script], { cwd: home, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, out, err) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout: out, stderr: err }),
      );
    });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain("wrote");
    expect(stdout).toMatch(/Lamb curry with saffron rice/);
    expect(stdout).toMatch(/imported 1 conversations .*1 conversations already imported/);
    const exported = (await readFile(join(home, "alice.jsonl"), "utf8")).trim().split("\n");
    expect(exported).toHaveLength(2);
    // taken before the import: the curry turn only
    expect(JSON.parse(await readFile(join(home, "memories.json"), "utf8")).results).toHaveLength(1);
    // A dozen CLI processes one after another: as long as the script's own limit, not the default 30 s.
  }, 120_000);
});
