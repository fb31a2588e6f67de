/** `omnimem doctor` and `omnimem export`, called as functions on temp roots (the CLI wiring is tested in cli.test.ts). */
import { createServer } from "node:net";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DOCTOR_FAILED_EXIT, renderDoctor, runDoctor, type DoctorCheck, type DoctorReport } from "../src/cli/commands/doctor.js";
import { runExport, type ExportLine } from "../src/cli/commands/export.js";
import { Memory } from "../src/index.js";
import { removeEntries } from "../src/store/embedded/markdown-log.js";
import { sha256 } from "../src/util/hash.js";
import { startFakeOpenAI, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

let root: string;
let elsewhere: string;

beforeEach(async () => {
  root = await makeTempRoot();
  elsewhere = await makeTempRoot("omnimem-export-");
});
afterEach(async () => {
  await removeTempRoot(root);
  await removeTempRoot(elsewhere);
});

/** Two users and an agent: alice 3 memories (one with metadata and a session), bob 2, the agent 1. */
async function seed(memory: Memory): Promise<void> {
  await memory.add("Alice keeps her passport in the blue drawer", { userId: "alice", infer: false, sessionId: "s1", metadata: { room: "study", n: 2 } });
  await memory.add([{ role: "user", content: "Alice is allergic to peanuts" }, { role: "assistant", content: "Noted: no peanuts for Alice" }], { userId: "alice", infer: false });
  await memory.add("Bob plays the cello on Tuesdays", { userId: "bob", infer: false });
  await memory.add("Bob's car is a green 2009 Volvo", { userId: "bob", infer: false, metadata: { source: "chat" } });
  await memory.add("The nightly backup runs at 02:00 UTC", { agentId: "ops-bot", infer: false });
}

async function seededRoot(): Promise<void> {
  const memory = await Memory.open({ root, logLevel: "error" });
  try {
    await seed(memory);
  } finally {
    await memory.close();
  }
}

async function withMemory<T>(work: (memory: Memory) => Promise<T>, at = root): Promise<T> {
  const memory = await Memory.open({ root: at, logLevel: "error" });
  try {
    return await work(memory);
  } finally {
    await memory.close();
  }
}

function named(report: DoctorReport, name: string): DoctorCheck {
  const found = report.checks.find((item) => item.name === name);
  if (found === undefined) throw new Error(`no check ${name} in ${JSON.stringify(report.checks.map((item) => item.name))}`);
  return found;
}

function parseLines(text: string): ExportLine[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as ExportLine);
}

describe("export jsonl", () => {
  it("writes every memory of every owner, oldest first, and round-trips into a fresh root", async () => {
    await seededRoot();
    const out = join(elsewhere, "all.jsonl");
    const summary = await withMemory((memory) => runExport(memory, { format: "jsonl", out }));
    expect(summary).toEqual({ format: "jsonl", memories: 6, files: [out] });

    const lines = parseLines(await readFile(out, "utf8"));
    expect(lines).toHaveLength(6);
    expect(lines.map((line) => line.memory).sort()).toEqual(
      [
        "Alice keeps her passport in the blue drawer",
        "Alice is allergic to peanuts",
        "Noted: no peanuts for Alice",
        "Bob plays the cello on Tuesdays",
        "Bob's car is a green 2009 Volvo",
        "The nightly backup runs at 02:00 UTC",
      ].sort(),
    );
    const sorted = [...lines].sort((a, b) => a.created_at.localeCompare(b.created_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    expect(lines.map((line) => line.id)).toEqual(sorted.map((line) => line.id));
    const passport = lines.find((line) => line.memory.includes("passport"))!;
    expect(passport).toMatchObject({ kind: "episode", user_id: "alice", agent_id: null, app_id: "default", project_id: "default", session_id: "s1", metadata: { room: "study", n: 2 } });
    expect(passport.hash).toBe(sha256(passport.memory));
    expect(new Date(passport.created_at).toISOString()).toBe(passport.created_at);
    expect(lines.find((line) => line.agent_id === "ops-bot")).toMatchObject({ user_id: null, memory: "The nightly backup runs at 02:00 UTC" });

    // Re-import into a fresh root, export again: the same memories come out.
    const copyRoot = await makeTempRoot();
    try {
      await withMemory(async (copy) => {
        for (const line of lines) {
          const owner = line.user_id !== null ? { userId: line.user_id } : { agentId: line.agent_id! };
          await copy.add(line.memory, { ...owner, infer: false, metadata: line.metadata, ...(line.session_id === null ? {} : { sessionId: line.session_id }) });
        }
        const again = new PassThrough();
        let text = "";
        again.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
        const second = await runExport(copy, { format: "jsonl", out: undefined, stdout: again });
        expect(second).toEqual({ format: "jsonl", memories: 6, files: [] });
        const comparable = (line: ExportLine) => [line.memory, line.user_id, line.agent_id, line.kind, line.session_id, JSON.stringify(line.metadata), line.hash];
        expect(parseLines(text).map(comparable).sort()).toEqual(lines.map(comparable).sort());
      }, copyRoot);
    } finally {
      await removeTempRoot(copyRoot);
    }
  });

  it("narrows to one owner and one kind", async () => {
    await seededRoot();
    await withMemory(async (memory) => {
      const collect = async (options: { userId?: string; agentId?: string; kind?: "episode" | "fact" }) => {
        const stream = new PassThrough();
        let text = "";
        stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
        const summary = await runExport(memory, { format: "jsonl", out: undefined, stdout: stream, ...options });
        const lines = parseLines(text);
        expect(lines).toHaveLength(summary.memories);
        return lines;
      };
      const alice = await collect({ userId: "alice" });
      expect(alice.map((line) => line.memory).sort()).toEqual(["Alice is allergic to peanuts", "Alice keeps her passport in the blue drawer", "Noted: no peanuts for Alice"]);
      expect(new Set(alice.map((line) => line.user_id))).toEqual(new Set(["alice"]));
      expect((await collect({ agentId: "ops-bot" })).map((line) => line.memory)).toEqual(["The nightly backup runs at 02:00 UTC"]);
      expect(await collect({ userId: "nobody" })).toEqual([]);
      expect(await collect({ kind: "fact" })).toEqual([]);
      expect(await collect({ kind: "episode" })).toHaveLength(6);
    });
  });

  it("streams more memories than one page and one write chunk, in order", async () => {
    await withMemory(async (memory) => {
      const texts = Array.from({ length: 1200 }, (_, i) => `memory number ${i} ${"x".repeat(80)}`);
      for (let start = 0; start < texts.length; start += 200) {
        await memory.add(texts.slice(start, start + 200).map((content) => ({ role: "user" as const, content })), { userId: "many", infer: false });
      }
      const out = join(elsewhere, "many.jsonl");
      expect((await runExport(memory, { format: "jsonl", out })).memories).toBe(1200);
      const lines = parseLines(await readFile(out, "utf8"));
      expect(new Set(lines.map((line) => line.memory))).toEqual(new Set(texts));
      expect(new Set(lines.map((line) => line.id)).size).toBe(1200);
      for (let i = 1; i < lines.length; i++) {
        const [a, b] = [lines[i - 1]!, lines[i]!];
        expect(a.created_at < b.created_at || (a.created_at === b.created_at && a.id < b.id)).toBe(true);
      }
    });
  });

  it("refuses to replace an existing file unless forced", async () => {
    await seededRoot();
    const out = join(elsewhere, "existing.jsonl");
    await writeFile(out, "keep me\n");
    await withMemory(async (memory) => {
      await expect(runExport(memory, { format: "jsonl", out })).rejects.toMatchObject({ code: "INVALID_INPUT" });
      expect(await readFile(out, "utf8")).toBe("keep me\n");
      expect((await runExport(memory, { format: "jsonl", out, force: true })).memories).toBe(6);
    });
    expect(parseLines(await readFile(out, "utf8"))).toHaveLength(6);
  });
});

describe("export markdown", () => {
  it("copies the markdown logs byte for byte, preserving their paths", async () => {
    await seededRoot();
    const out = join(elsewhere, "md");
    const { files, memories } = await withMemory(async (memory) => {
      const logFiles = await memory.backend.markdown!.logFiles();
      const summary = await runExport(memory, { format: "markdown", out });
      expect(summary.files).toEqual(logFiles.map((file) => join(out, file)));
      return { files: logFiles, memories: summary.memories };
    });
    expect(memories).toBe(6);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      expect((await readFile(join(out, file))).equals(await readFile(join(root, file)))).toBe(true);
    }
  });

  it("copies only the owner's folder when one is named", async () => {
    await seededRoot();
    const out = join(elsewhere, "bob");
    const summary = await withMemory((memory) => runExport(memory, { format: "markdown", out, userId: "bob" }));
    expect(summary.memories).toBe(2);
    expect(summary.files.length).toBeGreaterThan(0);
    for (const file of summary.files) expect(file.startsWith(join(out, "default", "default", "users", "bob", "episodes"))).toBe(true);
  });

  it("refuses a missing out, an out inside the root, and a non-empty out unless forced", async () => {
    await seededRoot();
    await withMemory(async (memory) => {
      await expect(runExport(memory, { format: "markdown", out: undefined })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "out" } });
      await expect(runExport(memory, { format: "markdown", out: root })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "out" } });
      await expect(runExport(memory, { format: "markdown", out: join(root, "backup", "md") })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "out" } });
      const full = join(elsewhere, "full");
      await mkdir(full);
      await writeFile(join(full, "README"), "mine");
      await expect(runExport(memory, { format: "markdown", out: full })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { path: "out" } });
      expect((await runExport(memory, { format: "markdown", out: full, force: true })).memories).toBe(6);
      expect(await readFile(join(full, "README"), "utf8")).toBe("mine");
    });
  });
});

describe("doctor", () => {
  it("reports local mode with what would enable each capability, and agreeing layers on a fresh root", async () => {
    const report = await runDoctor({ root, logLevel: "error" });
    expect(report.mode).toBe("local");
    expect(report.ok).toBe(true);
    const llm = named(report, "llm");
    expect(llm.status).toBe("info");
    expect(llm.fix).toContain("OMNIMEM_LLM__MODEL");
    expect(named(report, "embedding")).toMatchObject({ status: "info", fix: expect.stringContaining("OMNIMEM_EMBEDDING__MODEL") });
    expect(named(report, "multimodal").status).toBe("info");
    expect(named(report, "ocr").status).toBe("ok");
    expect(["ok", "info"]).toContain(named(report, "office").status);
    expect(named(report, "endpoints").status).toBe("info");
    expect(named(report, "data root").status).toBe("ok");
    expect(["ok", "warn"]).toContain(named(report, "disk").status);
    expect(named(report, "consistency")).toMatchObject({ status: "ok", detail: expect.stringContaining("0 markdown entries") });

    const text = renderDoctor(report, { color: false });
    expect(text).toContain("local mode");
    expect(text).toMatch(/· llm +local mode/);
    expect(text).toContain("→ set [llm] model and base_url");
    expect(text).not.toContain("\u001b[");
  });

  it("says the root will be created when it does not exist yet, and creates nothing", async () => {
    const missing = join(elsewhere, "not-yet");
    const report = await runDoctor({ root: missing, logLevel: "error" });
    expect(report.ok).toBe(true);
    expect(named(report, "data root")).toMatchObject({ status: "info", detail: expect.stringContaining("will be created") });
    expect(named(report, "consistency").status).toBe("info");
    await expect(readFile(missing)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("agrees with a store that was written normally", async () => {
    await seededRoot();
    const report = await runDoctor({ root, logLevel: "error" });
    expect(named(report, "consistency")).toMatchObject({ status: "ok", detail: expect.stringContaining("6 markdown entries") });
    expect(named(report, "consistency").detail).toContain("6 catalog rows, 6 index rows, 0 pending index jobs");
    expect(report.ok).toBe(true);
  });

  it("fails with reindex as the fix when the search index folder was deleted, and passes after reindex", async () => {
    await seededRoot();
    await rm(join(root, ".index", "lance"), { recursive: true, force: true });
    const report = await runDoctor({ root, logLevel: "error" });
    expect(report.ok).toBe(false);
    const consistency = named(report, "consistency");
    expect(consistency.status).toBe("fail");
    expect(consistency.detail).toContain("the search index holds 0 rows for 6 catalog rows");
    expect(consistency.fix).toContain("omnimem reindex");
    expect(renderDoctor(report, { color: false })).toMatch(/✗ consistency/);
    expect(DOCTOR_FAILED_EXIT).not.toBe(0);

    await withMemory((memory) => memory.reindex());
    const after = await runDoctor({ root, logLevel: "error" });
    expect(named(after, "consistency").status).toBe("ok");
    expect(after.ok).toBe(true);
  });

  it("fails when a markdown entry was removed by hand", async () => {
    await seededRoot();
    const file = await withMemory(async (memory) => (await memory.backend.markdown!.logFiles()).find((path) => path.includes("/users/bob/"))!);
    const content = await readFile(join(root, file), "utf8");
    const bobId = await withMemory(async (memory) => (await memory.getAll({ userId: "bob" })).results[0]!.id);
    await writeFile(join(root, file), removeEntries(content, [bobId]).content);
    const consistency = named(await runDoctor({ root, logLevel: "error" }), "consistency");
    expect(consistency.status).toBe("fail");
    expect(consistency.detail).toContain(`in the catalog but not in markdown`);
    expect(consistency.detail).toContain(bobId);
    expect(consistency.fix).toContain("omnimem reindex");
  });

  it("fails when a catalog row is missing or a text was edited in markdown", async () => {
    await seededRoot();
    const db = new Database(join(root, ".index", "state.db"));
    const { id } = db.prepare("SELECT id FROM catalog WHERE owner_id = 'ops-bot'").get() as { id: string };
    db.prepare("DELETE FROM catalog WHERE id = ?").run(id);
    db.close();
    const missing = named(await runDoctor({ root, logLevel: "error" }), "consistency");
    expect(missing).toMatchObject({ status: "fail", fix: expect.stringContaining("omnimem reindex") });
    expect(missing.detail).toContain(`in markdown but not in the catalog`);
    expect(missing.detail).toContain("5 catalog rows, 6 index rows");

    await withMemory((memory) => memory.reindex());
    const file = await withMemory(async (memory) => (await memory.backend.markdown!.logFiles()).find((path) => path.includes("/users/bob/"))!);
    const content = await readFile(join(root, file), "utf8");
    await writeFile(join(root, file), content.replace("green 2009 Volvo", "red 2011 Saab"));
    const edited = named(await runDoctor({ root, logLevel: "error" }), "consistency");
    expect(edited.status).toBe("fail");
    expect(edited.detail).toContain("text edited in markdown");
  });

  it("fails with the lock holder when another open memory holds the root", async () => {
    const holder = await Memory.open({ root, logLevel: "error" });
    try {
      const report = await runDoctor({ root, logLevel: "error" });
      const consistency = named(report, "consistency");
      expect(consistency.status).toBe("fail");
      expect(consistency.detail).toContain("STORE_LOCKED");
      expect(consistency.fix).toContain(`pid ${process.pid}`);
      expect(consistency.fix).toContain("/health");
      expect(report.ok).toBe(false);
    } finally {
      await holder.close();
    }
  });

  it("fails with reindex as the fix when the config names another embedder than the index was built with", async () => {
    await withMemory(seed);
    // A root keeps its own local embedder when the config names none: a setting of the other
    // embedder alone (the hashed one's size) changes nothing.
    const unnamed = await runDoctor({ root, logLevel: "error", localEmbedding: { dimensions: 128 } });
    expect(named(unnamed, "consistency").status).toBe("ok");
    // Naming one explicitly is a move the index has not made yet: reindex is the way.
    const report = await runDoctor({ root, logLevel: "error", localEmbedding: { embedder: "hashed", dimensions: 128 } });
    const consistency = named(report, "consistency");
    expect(consistency.status).toBe("fail");
    expect(consistency.detail).toContain("INDEX_MISMATCH");
    expect(consistency.fix).toContain("omnimem reindex");
  });

  it("reports an invalid configuration as one failed check", async () => {
    const report = await runDoctor({ root, logLevel: "error", search: { rrfK: 0 } });
    expect(report.ok).toBe(false);
    expect(report.checks).toEqual([expect.objectContaining({ name: "config", status: "fail", detail: expect.stringContaining("search.rrfK") })]);
  });
});

describe("doctor model endpoints", () => {
  let server: FakeOpenAIServer;
  let closedPort: number;

  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: "doctor-test-key" });
    closedPort = await freePort();
  });
  afterAll(async () => {
    await server.close();
  });

  it("are ok when GET /models answers, with the key sent as a Bearer token", async () => {
    server.reset();
    const endpoint = { baseUrl: server.baseURL, apiKey: "doctor-test-key" };
    const report = await runDoctor({ root, logLevel: "error", llm: { model: "fake-model", ...endpoint }, embedding: { model: "fake-embed", ...endpoint } });
    expect(report.mode).toBe("llm");
    expect(named(report, "llm endpoint")).toMatchObject({ status: "ok", detail: expect.stringContaining(`${server.baseURL}/models answered 200`) });
    expect(named(report, "embedding endpoint").status).toBe("ok");
    expect(named(report, "llm").status).toBe("ok");
    expect(named(report, "consistency").status).toBe("ok");
    expect(report.ok).toBe(true);
    const probes = server.requestsTo("/models");
    // The same server and key for two sections is asked once.
    expect(probes).toHaveLength(1);
    expect(probes[0]!.headers.authorization).toBe("Bearer doctor-test-key");
  });

  it("fail the consistency check with reindex as the fix when the config names an embedding endpoint a local index was not built with", async () => {
    await withMemory(seed);
    const endpoint = { baseUrl: server.baseURL, apiKey: "doctor-test-key" };
    const report = await runDoctor({ root, logLevel: "error", embedding: { model: "fake-embed", ...endpoint } });
    expect(named(report, "embedding endpoint").status).toBe("ok");
    const consistency = named(report, "consistency");
    expect(consistency.status).toBe("fail");
    expect(consistency.detail).toContain("INDEX_MISMATCH");
    expect(consistency.fix).toContain("omnimem reindex");
  });

  it("fail with the setting to check when the key is refused", async () => {
    const report = await runDoctor({ root, logLevel: "error", llm: { model: "fake-model", baseUrl: server.baseURL, apiKey: "wrong" } });
    expect(named(report, "llm endpoint")).toMatchObject({ status: "fail", detail: expect.stringContaining("answered 401"), fix: expect.stringContaining("OMNIMEM_LLM__API_KEY") });
    expect(report.ok).toBe(false);
  });

  it("fail with the base URL setting when nothing listens", async () => {
    const baseUrl = `http://127.0.0.1:${closedPort}/v1`;
    const report = await runDoctor(
      { root, logLevel: "error", multimodal: { model: "fake-vision", baseUrl } },
      { timeoutMs: 2000 },
    );
    const endpoint = named(report, "multimodal endpoint");
    expect(endpoint.status).toBe("fail");
    expect(endpoint.detail).toContain("ECONNREFUSED");
    expect(endpoint.fix).toContain("OMNIMEM_MULTIMODAL__BASE_URL");
    expect(report.ok).toBe(false);
    expect(renderDoctor(report, { color: true })).toContain("\u001b[");
  });

  it("an unreachable embedding endpoint fails fast, and the consistency check says why it could not open", async () => {
    const baseUrl = `http://127.0.0.1:${closedPort}/v1`;
    const started = Date.now();
    const report = await runDoctor({ root, logLevel: "error", embedding: { model: "e", baseUrl } }, { timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(named(report, "embedding endpoint").status).toBe("fail");
    expect(named(report, "consistency")).toMatchObject({ status: "fail", detail: expect.stringContaining("PROVIDER_ERROR"), fix: expect.stringContaining("OMNIMEM_EMBEDDING__BASE_URL") });
  });
});

/** A port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
