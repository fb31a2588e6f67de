import { execFile, spawn } from "node:child_process";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { progressReporter } from "../src/cli/progress.js";
import { Memory } from "../src/index.js";
import { CLI_NODE_ARGS } from "./support/cli-process.js";
import { everOsMessageLines, locomoFixture, longMemEvalFixture, openAiConversationLines } from "./support/import-fixtures.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

/** `omnimem import` as a user runs it: the real CLI entry. */
const IMPORT_COMMAND = [...CLI_NODE_ARGS, "import"];

interface ImportSummary {
  units: number;
  messages: number;
  stored: number;
  skipped: number;
  failed: { sourceKey: string; error: string }[];
  seconds: number;
}

interface ImportRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment minus the developer's OMNIMEM_* settings, which must not leak into a test. */
function childEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("OMNIMEM_")) env[name] = value;
  return env;
}

function importArgv(args: readonly string[]): string[] {
  return [...IMPORT_COMMAND, ...args];
}

/** Runs an import to its end: stdout is a pipe, so no progress bar. */
function runImportCli(args: readonly string[]): Promise<ImportRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, importArgv(args), { env: childEnvironment(), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

function summaryOf(run: ImportRun): ImportSummary {
  try {
    return JSON.parse(run.stdout) as ImportSummary;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** `<!-- entry:ID -->` markers in every markdown log under the root: memories as the files hold them. */
async function entryMarkers(root: string): Promise<number> {
  const files = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  let count = 0;
  for (const file of files) {
    if (!file.endsWith(".md") || file.startsWith(".index")) continue;
    const text = await readFile(join(root, file), "utf8").catch(() => "");
    count += text.match(/<!-- entry:/g)?.length ?? 0;
  }
  return count;
}

/** Every memory of these owners as sorted "id text" lines, read with the library once no child holds the root. */
async function memoriesOf(root: string, userIds: readonly string[]): Promise<string[]> {
  const memory = await Memory.open({ root, logLevel: "error" });
  try {
    const lines: string[] = [];
    for (const userId of userIds) {
      let cursor: string | undefined;
      do {
        const page = await memory.getAll({ userId, limit: 200, ...(cursor === undefined ? {} : { cursor }) });
        lines.push(...page.results.map((item) => `${item.id} ${item.memory}`));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    }
    return lines.sort();
  } finally {
    await memory.close();
  }
}

describe("omnimem import (child processes)", () => {
  let dir: string;
  let conversations: string;

  beforeAll(async () => {
    dir = await makeTempRoot("omnimem-import-");
    // 500 turns: 25 OpenAI conversations of 10 turns (alice's) and 25 EverOS sessions of 10 message lines (bob's).
    conversations = join(dir, "conversations.jsonl");
    await writeFile(conversations, `${[...openAiConversationLines(25, 10, "alice"), ...everOsMessageLines(25, 10, "bob")].join("\n")}\n`);
  });
  afterAll(async () => removeTempRoot(dir));

  it("resumes a 500-turn JSONL import killed midway and stores nothing twice", async () => {
    const reference = join(dir, "reference");
    const uninterrupted = await runImportCli(["--root", reference, "--no-infer", "--json", conversations]);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);
    expect(summaryOf(uninterrupted)).toMatchObject({ units: 50, messages: 500, stored: 500, skipped: 0, failed: [] });
    const expected = await memoriesOf(reference, ["alice", "bob"]);
    expect(expected).toHaveLength(500);

    // Kill the import once at least 100 turns are in the markdown logs.
    const root = join(dir, "interrupted");
    const child = spawn(process.execPath, importArgv(["--root", root, "--no-infer", "--json", conversations]), { env: childEnvironment(), stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    let running = true;
    void exited.then(() => (running = false));
    let atKill = 0;
    while (running) {
      atKill = await entryMarkers(root);
      if (atKill >= 100) {
        child.kill("SIGKILL");
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await exited).toBe("SIGKILL");
    expect(atKill).toBeGreaterThanOrEqual(100);
    expect(atKill).toBeLessThan(500);
    // The kill may land between a unit's markdown and its catalog commit: those turns are in the
    // files but not yet memories, and the rerun must finish them without writing them twice.
    const storedBefore = (await memoriesOf(root, ["alice", "bob"])).length;
    expect(storedBefore).toBeLessThan(500);

    const rerun = await runImportCli(["--root", root, "--no-infer", "--json", conversations]);
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = summaryOf(rerun);
    expect(summary.skipped).toBeGreaterThan(0);
    expect(summary.stored).toBe(500 - storedBefore);
    expect(await entryMarkers(root)).toBe(500);
    const stored = await memoriesOf(root, ["alice", "bob"]);
    expect(stored).toEqual(expected);
    const texts = stored.map((line) => line.slice(line.indexOf(" ") + 1));
    expect(new Set(texts).size).toBe(500);
  });

  it("imports with inference (local mode) once however often it is run", async () => {
    const root = join(dir, "inferred");
    const first = summaryOf(await runImportCli(["--root", root, "--json", conversations]));
    // Local mode: each conversation becomes one episode (its turns share a day).
    expect(first).toMatchObject({ units: 50, messages: 500, stored: 50, skipped: 0 });
    const again = summaryOf(await runImportCli(["--root", root, "--json", conversations]));
    expect(again).toMatchObject({ units: 50, stored: 0, skipped: 50 });
    expect(await entryMarkers(root)).toBe(50);
  });

  it("detects LongMemEval and LoCoMo files and owns each question or sample by default", async () => {
    const longMemEval = join(dir, "lme_small.json");
    const locomo = join(dir, "locomo_small.json");
    await writeFile(longMemEval, JSON.stringify(longMemEvalFixture()));
    await writeFile(locomo, JSON.stringify(locomoFixture()));

    const root = join(dir, "datasets");
    const run = await runImportCli(["--root", root, "--no-infer", "--json", longMemEval, locomo]);
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run)).toMatchObject({ units: 5, messages: 8, stored: 8, skipped: 0 });
    // The shared haystack session belongs to both questions that list it.
    expect(await memoriesOf(root, ["q_cello"])).toHaveLength(3);
    expect(await memoriesOf(root, ["q_teacher"])).toHaveLength(2);
    const locomoTexts = (await memoriesOf(root, ["conv-1"])).join("\n");
    expect(locomoTexts).toContain("Look what I painted last weekend. [image: a painting of a sunset over a lake]");
    expect(locomoTexts).not.toContain("example.invalid");

    // One owner for everything: the shared session is stored once.
    const shared = join(dir, "datasets-shared");
    const one = await runImportCli(["--root", shared, "--user", "evaluator", "--no-infer", "--json", longMemEval]);
    expect(summaryOf(one)).toMatchObject({ units: 3, stored: 3, skipped: 1 });
  });

  it("imports a folder of files, records a file that cannot be parsed, and goes on", async () => {
    const folder = join(dir, "notes");
    await mkdir(join(folder, "web"), { recursive: true });
    await writeFile(join(folder, "groceries.txt"), "Buy oat milk and saffron for the paella");
    await writeFile(join(folder, "web", "trip.html"), "<html><head><script>var tracking = 1;</script></head><body><h1>Trip</h1><p>The ferry to Hydra leaves at 7:40</p></body></html>");
    await writeFile(join(folder, "broken.png"), Buffer.from("this is not a png at all"));
    await writeFile(join(folder, ".DS_Store"), "ignored");

    const root = join(dir, "files");
    const run = await runImportCli(["--root", root, "--user", "alice", "--no-infer", "--json", folder]);
    expect(run.code).toBe(1);
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ units: 3, messages: 3, stored: 2, skipped: 0 });
    expect(summary.failed).toEqual([{ sourceKey: expect.stringMatching(/^files:broken\.png:/), error: expect.stringMatching(/^INVALID_IMAGE: /) }]);
    const texts = (await memoriesOf(root, ["alice"])).join("\n");
    expect(texts).toContain("oat milk and saffron");
    expect(texts).toContain("The ferry to Hydra leaves at 7:40");
    expect(texts).not.toContain("tracking");

    const again = summaryOf(await runImportCli(["--root", root, "--user", "alice", "--no-infer", "--json", folder]));
    expect(again).toMatchObject({ stored: 0, skipped: 2 });
  });

  it("stops at a JSONL line that does not parse: exit 65, the line named, nothing of it stored", async () => {
    const bad = join(dir, "bad.jsonl");
    const lines = openAiConversationLines(2, 2, "carol");
    lines.push(JSON.stringify({ user_id: "carol", messages: [{ role: "narrator", content: "the secret line" }] }));
    await writeFile(bad, `${lines.join("\n")}\n`);
    const root = join(dir, "bad");
    const run = await runImportCli(["--root", root, "--no-infer", "--json", bad]);
    expect(run.code).toBe(65);
    const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("bad.jsonl:3:");
    expect((await memoriesOf(root, ["carol"])).join("\n")).not.toContain("the secret line");
  });

  it("needs an owner when the records name none", async () => {
    const anonymous = join(dir, "anonymous.jsonl");
    await writeFile(anonymous, `${JSON.stringify({ messages: [{ role: "user", content: "hello" }] })}\n`);
    const run = await runImportCli(["--root", join(dir, "anonymous"), "--json", anonymous]);
    expect(run.code).toBe(65);
    expect(run.stdout).toContain("pass --user or --agent");
  });
});

describe("progressReporter", () => {
  /** A stream that says it is a terminal, keeping what is written to it. */
  function fakeTerminal(): NodeJS.WriteStream & { text: () => string } {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }) as unknown as NodeJS.WriteStream & { text: () => string };
    Object.assign(stream, {
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      clearScreenDown: () => true,
      text: () => chunks.join(""),
    });
    return stream;
  }

  it("draws count, rate and ETA on a terminal, and nothing when disabled", () => {
    const terminal = fakeTerminal();
    const progress = progressReporter({ enabled: true, stream: terminal });
    progress.start(4, "import");
    progress.tick();
    progress.tick(3);
    progress.stop();
    progress.stop();
    expect(terminal.text()).toMatch(/import .* 4\/4 100% \| \d+(\.\d)?\/s \| ETA /);

    const quiet = fakeTerminal();
    const disabled = progressReporter({ enabled: false, stream: quiet });
    disabled.start(4, "import");
    disabled.tick();
    disabled.stop();
    expect(quiet.text()).toBe("");
  });
});
