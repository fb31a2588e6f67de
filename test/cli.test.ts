import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonOf, omnimem } from "./support/cli-process.js";
import { imageWithText } from "./support/fixtures/images.js";
import { pdfWithTextLayer } from "./support/fixtures/pdfs.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

interface AddJson {
  results: { id: string; event: string; memory: string }[];
  parts: { type: string; parser: string; parseStatus: string }[];
}
interface HitsJson {
  results: { id: string; memory: string; sessionId?: string }[];
}

describe("omnimem CLI (child processes)", () => {
  let dir: string;
  let root: string;
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => omnimem(args, { cwd: dir, env: { OMNIMEM_ROOT: root, ...env } });

  beforeAll(async () => {
    dir = await makeTempRoot("omnimem-cli-");
    root = join(dir, "data");
    await writeFile(join(dir, "menu.png"), await imageWithText("Nopi lunch menu\nLamb curry 18"));
    await writeFile(join(dir, "q3.pdf"), pdfWithTextLayer(["Q3 revenue was 4.2 million euros"]));
    await writeFile(join(dir, "blob.xyz"), Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x01, 0x02, 0xfe, 0x00, 0x99]));
  });
  afterAll(async () => removeTempRoot(dir));

  it("adds text and files as one turn, then finds it by search, get and history", async () => {
    const added = await cli(["add", "--user", "alice", "--session", "lunch", "--json", "I liked the curry", "./menu.png", "./q3.pdf"]);
    expect(added.code, added.stderr).toBe(0);
    const { results, parts } = jsonOf<AddJson>(added);
    expect(results).toHaveLength(1);
    expect(results[0]!.event).toBe("ADD");
    expect(results[0]!.memory).toContain("I liked the curry");
    expect(results[0]!.memory).toMatch(/curry 18/i);
    expect(results[0]!.memory).toContain("4.2 million");
    expect(parts.map((part) => [part.type, part.parseStatus])).toEqual([
      ["image", "ok"],
      ["pdf", "ok"],
    ]);

    const found = await cli(["search", "--user", "alice", "--method", "keyword", "--limit", "1", "--json", "Q3 revenue"]);
    expect(found.code, found.stderr).toBe(0);
    expect(jsonOf<HitsJson>(found).results.map((hit) => hit.id)).toEqual([results[0]!.id]);

    const filtered = await cli(["search", "--user", "alice", "--filters", '{"session_id": "elsewhere"}', "--json", "curry"]);
    expect(jsonOf<HitsJson>(filtered).results).toEqual([]);

    const human = await cli(["search", "--user", "alice", "curry"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ 1\. \d\.\d{3} {2}.*I liked the curry/m);
    expect(human.stdout).not.toContain("\u001b["); // no colour when stdout is not a terminal

    const item = await cli(["get", "--json", results[0]!.id]);
    expect(jsonOf<{ id: string; sessionId: string }>(item)).toMatchObject({ id: results[0]!.id, sessionId: "lunch" });
    const listed = await cli(["get", "--user", "alice", "--json"]);
    expect(jsonOf<HitsJson>(listed).results.map((memory) => memory.id)).toEqual([results[0]!.id]);
    const history = await cli(["history", "--json", results[0]!.id]);
    expect(jsonOf<{ action: string }[]>(history).map((entry) => entry.action)).toEqual(["ADD"]);
  });

  it("keeps a word that names a folder as text, labels a text file plainly, and dates each change in history", async () => {
    await mkdir(join(dir, "office"), { recursive: true });
    await writeFile(join(dir, "notes.txt"), "Photos are backed up on Sundays");
    const added = await cli(["add", "--user", "dora", "--no-infer", "--json", "I keep my photos in the office", "./notes.txt"]);
    expect(added.code, added.stderr).toBe(0);
    const memory = jsonOf<AddJson>(added).results[0]!;
    expect(memory.memory).toContain("I keep my photos in the office");
    expect(memory.memory).toContain("[text: notes.txt]");
    expect(memory.memory).not.toContain("sent as");
    // Written as a path, a folder is an error, not text.
    const folder = await cli(["add", "--user", "dora", "see", "./office/"]);
    expect(folder.code).toBe(65);
    expect(folder.stderr).toContain("not a regular file");

    expect((await cli(["update", memory.id, "I keep my photos in the attic"])).code).toBe(0);
    const history = await cli(["history", memory.id]);
    const times = history.stdout.trim().split("\n").map((line) => [line.split(/\s+/)[1], Date.parse(line.split(/\s+/)[0]!)] as const);
    expect(times.map(([action]) => action)).toEqual(["ADD", "UPDATE"]);
    // The update's own time, after the add (not the memory's creation time, which is before it).
    expect(times[1]![1]).toBeGreaterThan(times[0]![1]);
  });

  it("buffers with --no-flush and makes the episode on flush", async () => {
    const buffered = await cli(["add", "--user", "bob", "--session", "s1", "--no-flush", "--json", "my locker code is 4711"]);
    expect(jsonOf<AddJson>(buffered).results).toEqual([]);
    expect(jsonOf<HitsJson>(await cli(["search", "--user", "bob", "--json", "locker"])).results).toEqual([]);
    const flushed = await cli(["flush", "--user", "bob", "--session", "s1", "--json"]);
    expect(flushed.code, flushed.stderr).toBe(0);
    expect(jsonOf<AddJson>(flushed).results.map((event) => event.memory)).toEqual([expect.stringContaining("locker code is 4711")]);
    expect(jsonOf<HitsJson>(await cli(["search", "--user", "bob", "--json", "locker"])).results).toHaveLength(1);
  });

  it("deletes one memory and all of an owner's", async () => {
    const first = jsonOf<AddJson>(await cli(["add", "--agent", "planner", "--no-infer", "--json", "the sprint ends Friday"])).results[0]!;
    await cli(["add", "--agent", "planner", "--no-infer", "--json", "the demo is on Monday"]);
    expect((await cli(["delete", "--json", first.id])).code).toBe(0);
    const gone = await cli(["get", "--json", first.id]);
    expect(gone.code).toBe(71);
    expect(jsonOf(gone)).toMatchObject({ error: { code: "NOT_FOUND" } });
    const all = await cli(["delete", "--agent", "planner", "--all", "--json"]);
    expect(jsonOf(all)).toMatchObject({ deleted: 1 });
  });

  it("answers errors with the error table's exit status, as JSON with --json", async () => {
    const badOwner = await cli(["search", "--user", "../bob", "--json", "curry"]);
    expect(badOwner.code).toBe(65);
    expect(jsonOf(badOwner)).toMatchObject({ error: { code: "INVALID_INPUT" } });

    const unsupported = await cli(["add", "--user", "carol", "--json", "see attached", "./blob.xyz"]);
    expect(unsupported.code).toBe(66);
    expect(jsonOf(unsupported)).toMatchObject({ error: { code: "UNSUPPORTED_FORMAT" } });
    expect(jsonOf<HitsJson>(await cli(["get", "--user", "carol", "--json"])).results).toEqual([]);

    const missingFile = await cli(["add", "--user", "carol", "notes", "./nowhere.pdf"]);
    expect(missingFile.code).toBe(65);
    expect(missingFile.stderr).toContain("nowhere.pdf");

    const humanNotFound = await cli(["delete", "8c6f1f59-7c3e-4c1e-9d7e-4b8e6e1c2a10"]);
    expect(humanNotFound.code).toBe(71);
    expect(humanNotFound.stderr).toMatch(/^omnimem: NOT_FOUND: /);
  });

  it("exits 64 on usage errors and prints help with 0", async () => {
    expect((await cli(["frobnicate"])).code).toBe(64);
    expect((await cli(["search", "--user", "alice", "--no-such-flag", "x"])).code).toBe(64);
    expect((await cli(["search", "--user", "alice", "--method", "psychic", "x"])).code).toBe(64);
    // A flag value that does not parse, or nothing to add, is usage too (not the input's fault).
    expect((await cli(["search", "--user", "alice", "--limit", "abc", "x"])).code).toBe(64);
    expect((await cli(["export", "--kind", "bogus"])).code).toBe(64);
    expect((await cli(["add", "--user", "alice"])).code).toBe(64);
    expect((await cli([])).code).toBe(64);
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("omnimem <command>");
  });

  it("rejects an unknown command before opening the store: no root is created", async () => {
    const untouched = join(dir, "never-opened");
    const typo = await omnimem(["serach", "--user", "alice", "curry"], { cwd: dir, env: { OMNIMEM_ROOT: untouched } });
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('unknown command "serach"');
    await expect(stat(untouched)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("init writes omnimem.toml and .env once; config show layers file < env < flag with secrets masked", async () => {
    const initDir = join(dir, "project");
    const init = await omnimem(["init", "--dir", initDir, "--json"], { cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    const toml = await readFile(join(initDir, "omnimem.toml"), "utf8");
    expect(toml).toContain("[multimodal]");
    expect(await readFile(join(initDir, ".env"), "utf8")).toContain("OMNIMEM_LLM__API_KEY");
    const again = await omnimem(["init", "--dir", initDir, "--json"], { cwd: dir });
    expect(again.code).toBe(65);
    expect(await readFile(join(initDir, "omnimem.toml"), "utf8")).toBe(toml);
    expect((await omnimem(["init", "--dir", initDir, "--force"], { cwd: dir })).code).toBe(0);

    await writeFile(
      join(initDir, "omnimem.toml"),
      `root = "${join(dir, "from-file")}"\n[search]\ndefault_limit = 7\nrrf_k = 30\n[embedding]\nmodel = "text-embedding-3-small"\nbase_url = "http://127.0.0.1:9/v1"\napi_key = "sk-test-secret-9876"\n`,
    );
    const shown = await omnimem(["config", "show", "--json", "--root", join(dir, "from-flag")], {
      cwd: initDir,
      env: { OMNIMEM_SEARCH__RRF_K: "45" },
    });
    expect(shown.code, shown.stderr).toBe(0);
    const report = jsonOf<{ settings: { key: string; value: unknown; source: string }[] }>(shown);
    const setting = (key: string) => report.settings.find((entry) => entry.key === key);
    expect(setting("root")).toMatchObject({ value: join(dir, "from-flag"), source: "flag --root" });
    expect(setting("search.rrf_k")).toMatchObject({ value: 45, source: "env OMNIMEM_SEARCH__RRF_K" });
    expect(setting("search.default_limit")).toMatchObject({ value: 7, source: expect.stringContaining("omnimem.toml") });
    expect(setting("search.default_method")).toMatchObject({ value: "hybrid", source: "default" });
    expect(shown.stdout).not.toContain("sk-test-secret-9876");
    expect(String(setting("embedding.api_key")?.value)).toContain("9876");
  });

  it("prints a JSON summary for reindex and doctor, and JSONL for export", async () => {
    const reindex = await cli(["reindex", "--json"]);
    expect(reindex.code, reindex.stderr).toBe(0);
    expect(jsonOf<{ records: number }>(reindex).records).toBeGreaterThan(0);

    const doctor = await cli(["doctor", "--json"]);
    const report = jsonOf<{ ok: boolean; mode: string; checks: { name: string; status: string }[] }>(doctor);
    expect(report.mode).toBe("local");
    expect(doctor.code).toBe(report.ok ? 0 : 1);
    expect(report.checks.length).toBeGreaterThan(3);

    const exported = await cli(["export", "--user", "alice"]);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split("\n").map((text) => JSON.parse(text) as { memory: string });
    expect(lines.map((entry) => entry.memory)).toEqual([expect.stringContaining("I liked the curry")]);
  });

  it("runs the offline demo and reports every sample found", async () => {
    const demo = await omnimem(["demo", "--json"], { cwd: dir });
    expect(demo.code, demo.stderr).toBe(0);
    const report = jsonOf<{ ok: boolean; parts: { type: string; status: string }[]; searches: { found: boolean }[]; otherUserSees: number }>(demo);
    expect(report.parts.map((part) => part.type)).toEqual(["image", "pdf", "email"]);
    expect(report.searches.every((search) => search.found)).toBe(true);
    expect(report.otherUserSees).toBe(0);
    expect(report.ok).toBe(true);
  });
});
