import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { MemoryRecord, Scope } from "../../spec/types.js";
import {
  appendEntries,
  escapeEntryText,
  listEntryIds,
  logDate,
  logFilePath,
  parseLog,
  parseLogHeader,
  removeEntries,
  renderEntry,
  renderPlainMapping,
  renderLogHeader,
  replaceEntry,
  unescapeEntryText,
} from "./markdown-log.js";

const scope: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const agentScope: Scope = { appId: "app", projectId: "proj", ownerType: "agent", ownerId: "bot-1" };
const DAY = "2026-11-21";
const T0 = Date.UTC(2026, 10, 21, 10, 30, 15, 123);

function minimal(id: string, text = `text of ${id}`, overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id,
    kind: "episode",
    scope,
    text,
    timestamp: T0,
    createdAt: T0 + 1,
    updatedAt: T0 + 2,
    metadata: {},
    hash: `hash-${id}`,
    ...overrides,
  };
}

function full(id: string, text = `full text of ${id}`): MemoryRecord {
  return {
    id,
    kind: "fact",
    scope,
    text,
    userId: "alice",
    agentId: "bot-1",
    runId: "run-7",
    sessionId: "s-42",
    senderId: "alice@example.com",
    role: "assistant",
    timestamp: T0,
    createdAt: T0 + 1000,
    updatedAt: T0 + 2000,
    metadata: {
      str: "value",
      numeric_string: "123",
      bool_string: "true",
      null_string: "null",
      empty: "",
      multiline: "a\nb\n\n",
      fence: "```",
      marker: "<!-- entry:x -->\n<!-- /entry:y -->",
      int: 42,
      neg: -7,
      float: 0.1,
      big: 1e21,
      zero: 0,
      t: true,
      f: false,
      nothing: null,
    },
    episodeId: "0193a000-0000-7000-8000-000000000001",
    hash: "ab".repeat(32),
  };
}

function oneFile(records: MemoryRecord[], kind: "episode" | "fact" = "episode", s: Scope = scope): string {
  return appendEntries(undefined, s, kind, DAY, records);
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = [
  "<!-- entry:",
  "<!-- /entry:",
  "<!-- \\entry:",
  "<!-- \\\\/entry:",
  "<!-- ",
  "<!--",
  "entry:",
  "/entry:",
  " -->",
  "-->",
  "abc",
  "0193a",
  "\\",
  "\\\\",
  "/",
  "`",
  "```",
  "```yaml",
  "---",
  "\n",
  "\n\n",
  "\r\n",
  "\r",
  " ",
  "\t",
  "é",
  "日本語",
  "😀",
  "\u2028",
  "\u0000",
  "#",
  ":",
  "- ",
  "...",
];

function randomText(next: () => number): string {
  const n = Math.floor(next() * 24);
  let out = "";
  for (let i = 0; i < n; i++) out += TRICKY[Math.floor(next() * TRICKY.length)]!;
  return out;
}

describe("logFilePath", () => {
  it("builds user and agent paths for episodes and facts from the UTC day", () => {
    expect(logFilePath(scope, "episode", T0)).toBe("default/default/users/alice/episodes/2026-11-21.md");
    expect(logFilePath(agentScope, "fact", T0)).toBe("app/proj/agents/bot-1/facts/2026-11-21.md");
    // 23:59:59.999 UTC is still the same day; the next ms is the next day.
    const endOfDay = Date.UTC(2026, 10, 21, 23, 59, 59, 999);
    expect(logFilePath(scope, "episode", endOfDay)).toMatch(/2026-11-21\.md$/);
    expect(logFilePath(scope, "episode", endOfDay + 1)).toMatch(/2026-11-22\.md$/);
    expect(logDate(0)).toBe("1970-01-01");
  });

  it.each([
    ["empty", ""],
    ["dot", "."],
    ["dotdot", ".."],
    ["slash", "a/b"],
    ["backslash", "a\\b"],
    ["traversal", "../etc"],
    ["NUL", "a\0b"],
  ])("refuses a segment that is %s", (_name, bad) => {
    for (const key of ["appId", "projectId", "ownerId"] as const) {
      const s = { ...scope, [key]: bad };
      expect(() => logFilePath(s, "episode", T0)).toThrow(Error);
      expect(() => renderLogHeader(s, "episode", DAY)).toThrow(Error);
    }
  });

  it("refuses a bad owner type, kind or timestamp", () => {
    expect(() => logFilePath({ ...scope, ownerType: "group" as "user" }, "episode", T0)).toThrow();
    expect(() => logFilePath(scope, "note" as "fact", T0)).toThrow();
    expect(() => logFilePath(scope, "episode", Number.NaN)).toThrow();
    expect(() => logFilePath(scope, "episode", Infinity)).toThrow();
    expect(() => logFilePath(scope, "episode", Date.UTC(10000, 0, 1))).toThrow();
  });
});

describe("renderLogHeader", () => {
  it("writes the documented front matter and heading", () => {
    expect(renderLogHeader(scope, "episode", DAY)).toBe(
      [
        "---",
        "omnimem: 1",
        "kind: episodes",
        "app_id: default",
        "project_id: default",
        "owner_type: user",
        "owner_id: alice",
        "date: 2026-11-21",
        "---",
        "",
        "# Episodes · alice · 2026-11-21",
        "",
      ].join("\n"),
    );
    expect(renderLogHeader(agentScope, "fact", DAY)).toContain("kind: facts\n");
    expect(renderLogHeader(agentScope, "fact", DAY)).toContain("# Facts · bot-1 · 2026-11-21\n");
  });

  it("quotes ids that YAML would read as other types and parses them back as strings", () => {
    const s: Scope = { appId: "123", projectId: "true", ownerType: "agent", ownerId: "null" };
    const header = parseLogHeader(renderLogHeader(s, "fact", DAY));
    expect(header).toEqual({ kind: "fact", scope: s, date: DAY });
  });

  it("refuses a bad date", () => {
    expect(() => renderLogHeader(scope, "episode", "2026-1-2")).toThrow();
    expect(() => renderLogHeader(scope, "episode", "2026-11-21T00:00:00Z")).toThrow();
  });
});

describe("renderEntry", () => {
  it("uses the documented layout", () => {
    const entry = renderEntry(minimal("e1", "hello\nworld"));
    expect(entry).toBe(
      [
        "<!-- entry:e1 -->",
        "```yaml",
        "id: e1",
        "kind: episode",
        "timestamp: 2026-11-21T10:30:15.123Z",
        "created_at: 2026-11-21T10:30:15.124Z",
        "updated_at: 2026-11-21T10:30:15.125Z",
        "hash: hash-e1",
        "```",
        "",
        "hello",
        "world",
        "",
        "<!-- /entry:e1 -->",
        "",
      ].join("\n"),
    );
  });

  it("writes every optional field in snake_case, metadata as a YAML map", () => {
    const entry = renderEntry(full("f1"));
    for (const key of ["user_id: alice", "agent_id: bot-1", "run_id: run-7", "session_id: s-42", "sender_id: alice@example.com", "role: assistant", "episode_id: ", "metadata:\n  str: value"]) {
      expect(entry).toContain(key);
    }
    expect(entry).not.toContain("scope");
    expect(entry).not.toContain("text:");
  });

  it("refuses records it cannot write faithfully", () => {
    expect(() => renderEntry(minimal("bad id"))).toThrow();
    expect(() => renderEntry(minimal("x-->"))).toThrow();
    expect(() => renderEntry(minimal("e", "t", { timestamp: 1.5 }))).toThrow();
    expect(() => renderEntry(minimal("e", "t", { createdAt: Number.NaN }))).toThrow();
    expect(() => renderEntry(minimal("e", "t", { role: "robot" as "user" }))).toThrow();
    expect(() => renderEntry(minimal("e", "t", { metadata: { nested: { a: 1 } as unknown as string } }))).toThrow();
  });
});

describe("round trips", () => {
  it("round-trips a record with only the required fields", () => {
    const rec = minimal("e1");
    const parsed = parseLog(oneFile([rec]));
    expect(parsed.header).toEqual({ kind: "episode", scope, date: DAY });
    expect(parsed.entries).toStrictEqual([rec]);
  });

  it("round-trips a record with every optional field and typed metadata", () => {
    const rec = full("f1");
    const parsed = parseLog(oneFile([rec], "fact"));
    expect(parsed.entries).toStrictEqual([rec]);
    const md = parsed.entries[0]!.metadata;
    expect(md.numeric_string).toBe("123");
    expect(md.bool_string).toBe("true");
    expect(md.null_string).toBe("null");
    expect(md.int).toBe(42);
    expect(md.nothing).toBeNull();
    expect(md.t).toBe(true);
  });

  it("round-trips each optional field on its own", () => {
    const fields: Partial<MemoryRecord>[] = [
      { userId: "u" },
      { agentId: "a" },
      { runId: "r" },
      { sessionId: "s" },
      { senderId: "x" },
      { role: "tool" },
      { episodeId: "ep" },
      { metadata: { k: "v" } },
    ];
    for (const extra of fields) {
      const rec = minimal("e1", "t", extra);
      expect(parseLog(oneFile([rec])).entries).toStrictEqual([rec]);
    }
  });

  it("round-trips odd metadata: special numbers, tricky keys, __proto__", () => {
    const metadata = JSON.parse('{"__proto__": "p", "constructor": 1, "1": "one", "": "empty key", "a\\nb": "nl key", "true": null}') as Record<string, string | number | boolean | null>;
    Object.assign(metadata, { negZero: -0, inf: Infinity, ninf: -Infinity, nan: Number.NaN, max: Number.MAX_VALUE, tiny: 5e-324, unsafe: 2 ** 60 + 1 });
    const rec = minimal("e1", "t", { metadata });
    const back = parseLog(oneFile([rec])).entries[0]!;
    expect(Object.keys(back.metadata)).toEqual(Object.keys(metadata));
    for (const key of Object.keys(metadata)) expect(Object.is(back.metadata[key], metadata[key])).toBe(true);
    expect(Object.getPrototypeOf(back.metadata)).toBe(Object.prototype);
  });

  it("round-trips timestamps across the range of years and before 1970", () => {
    for (const t of [0, -1, -62135596800000, Date.UTC(9999, 11, 31, 23, 59, 59, 999), 1]) {
      const rec = minimal("e1", "t", { timestamp: t, createdAt: t, updatedAt: t });
      expect(parseLog(oneFile([rec])).entries).toStrictEqual([rec]);
    }
  });

  it("round-trips optional string fields with YAML-sensitive values", () => {
    const rec = minimal("e1", "t", { userId: "123", sessionId: "null", runId: "- x: y", senderId: "a\n```\nb", agentId: "<!-- /entry:e1 -->", hash: "" });
    expect(parseLog(oneFile([rec])).entries).toStrictEqual([rec]);
  });

  it("round-trips agent scopes", () => {
    const rec = { ...full("f1"), scope: agentScope };
    expect(parseLog(oneFile([rec], "fact", agentScope)).entries).toStrictEqual([rec]);
  });
});

describe("escaping", () => {
  it("escapes and unescapes markers", () => {
    expect(escapeEntryText("<!-- entry:x -->")).toBe("<!-- \\entry:x -->");
    expect(escapeEntryText("<!-- /entry:x -->")).toBe("<!-- \\/entry:x -->");
    expect(escapeEntryText("<!-- \\entry:x")).toBe("<!-- \\\\entry:x");
    expect(escapeEntryText("<!-- \\\\/entry:x")).toBe("<!-- \\\\\\/entry:x");
    expect(escapeEntryText("plain <!-- comment -->")).toBe("plain <!-- comment -->");
    expect(unescapeEntryText("<!-- \\\\/entry:x")).toBe("<!-- \\/entry:x");
  });

  it("text cannot forge or close an entry", () => {
    const evil = [
      "before",
      "<!-- /entry:e1 -->",
      "",
      "<!-- entry:evil -->",
      "```yaml",
      "id: evil",
      "kind: episode",
      "```",
      "",
      "forged",
      "",
      "<!-- /entry:evil -->",
      "---",
      "omnimem: 1",
      "---",
      "",
    ].join("\n");
    const rec = minimal("e1", evil);
    const file = oneFile([rec, minimal("e2")]);
    const parsed = parseLog(file);
    expect(parsed.entries.map((e) => e.id)).toEqual(["e1", "e2"]);
    expect(parsed.entries[0]!.text).toBe(evil);
  });

  it("round-trips random texts exactly (property test)", () => {
    const next = rng(20261121);
    const samples = ["", "\n", "\n\n", " ", "\r\n", "trailing\n\n\n", "  lead and trail  \n ", "\\", "```", "---", "<!-- entry:e0 -->"];
    for (let i = 0; i < 3000; i++) samples.push(randomText(next));
    for (const text of samples) expect(unescapeEntryText(escapeEntryText(text))).toBe(text);
    // Many entries per file, so that neighbouring texts are exercised together.
    for (let i = 0; i < samples.length; i += 7) {
      const records = samples.slice(i, i + 7).map((text, j) => minimal(`e${i + j}`, text));
      const file = oneFile(records);
      const back = parseLog(file).entries;
      expect(back.map((r) => r.text)).toEqual(records.map((r) => r.text));
      expect(back).toStrictEqual(records);
      // Texts never leave a marker-looking line behind.
      for (const line of file.split("\n")) {
        if (line.startsWith("<!-- entry:") || line.startsWith("<!-- /entry:")) {
          expect(line).toMatch(/^<!-- \/?entry:e\d+ -->$/);
        }
      }
    }
  });

  it("round-trips random metadata strings and keys (property test)", () => {
    const next = rng(7);
    for (let i = 0; i < 500; i++) {
      const metadata: Record<string, string> = {};
      for (let k = 0; k < 3; k++) metadata[`${randomText(next)}#${k}`] = randomText(next);
      const rec = minimal("e1", randomText(next), { metadata, userId: randomText(next) });
      expect(parseLog(oneFile([rec])).entries).toStrictEqual([rec]);
    }
  });
});

describe("appendEntries", () => {
  it("creates the header for a new file and separates entries by one blank line", () => {
    const file = oneFile([minimal("e1"), minimal("e2")]);
    expect(file.startsWith(renderLogHeader(scope, "episode", DAY))).toBe(true);
    expect(file).toBe(`${renderLogHeader(scope, "episode", DAY)}\n${renderEntry(minimal("e1"))}\n${renderEntry(minimal("e2"))}`);
    expect(file.endsWith("<!-- /entry:e2 -->\n")).toBe(true);
  });

  it("returns just the header when there is nothing to add", () => {
    expect(appendEntries(undefined, scope, "episode", DAY, [])).toBe(renderLogHeader(scope, "episode", DAY));
  });

  it("keeps existing content, human edits included, byte for byte", () => {
    const original = oneFile([minimal("e1")]);
    const edited = original.replace("# Episodes", "# Episodes (my notes: <!-- a comment -->)") + "\nA note a person wrote.\r\nNo trailing newline";
    const appended = appendEntries(edited, scope, "episode", DAY, [minimal("e2")]);
    expect(appended.startsWith(edited)).toBe(true);
    expect(appended.slice(edited.length)).toBe(`\n\n${renderEntry(minimal("e2"))}`);
    const ids = parseLog(appended).entries.map((e) => e.id);
    expect(ids).toEqual(["e1", "e2"]);

    const withBlank = `${original}\n`;
    expect(appendEntries(withBlank, scope, "episode", DAY, [minimal("e2")])).toBe(`${withBlank}${renderEntry(minimal("e2"))}`);
  });

  it("appending twice equals appending once", () => {
    const once = oneFile([minimal("e1"), minimal("e2"), minimal("e3")]);
    const twice = appendEntries(oneFile([minimal("e1")]), scope, "episode", DAY, [minimal("e2"), minimal("e3")]);
    expect(twice).toBe(once);
  });

  it("refuses duplicates and records of another kind or scope", () => {
    const file = oneFile([minimal("e1")]);
    expect(() => appendEntries(file, scope, "episode", DAY, [minimal("e1")])).toThrow(/already/);
    expect(() => oneFile([minimal("e2"), minimal("e2")])).toThrow(/already/);
    expect(() => appendEntries(file, scope, "episode", DAY, [minimal("e2", "t", { kind: "fact" })])).toThrow();
    expect(() => appendEntries(file, scope, "episode", DAY, [minimal("e2", "t", { scope: { ...scope, ownerId: "bob" } })])).toThrow();
    expect(() => appendEntries(file, { ...scope, ownerId: "bob" }, "episode", DAY, [])).toThrow(/header/);
    expect(() => appendEntries(file, scope, "episode", "2026-11-22", [])).toThrow(/header/);
  });
});

describe("replaceEntry", () => {
  it("replaces only the block of that id and keeps the rest byte for byte", () => {
    const base = oneFile([minimal("e1"), minimal("e2"), minimal("e3")]);
    const edited = base.replace("<!-- entry:e2 -->", "Human note before e2.\n\n<!-- entry:e2 -->");
    const updated = { ...minimal("e2", "new\ntext\n"), updatedAt: T0 + 99, metadata: { edited: true } };
    const out = replaceEntry(edited, updated);
    expect(out).toBe(edited.replace(renderEntry(minimal("e2")), renderEntry(updated)));
    expect(out).toContain("Human note before e2.");
    expect(parseLog(out).entries).toStrictEqual([minimal("e1"), updated, minimal("e3")]);
  });

  it("keeps a missing final newline missing", () => {
    const base = oneFile([minimal("e1")]).replace(/\n$/, "");
    const out = replaceEntry(base, minimal("e1", "changed"));
    expect(out.endsWith("<!-- /entry:e1 -->")).toBe(true);
    expect(parseLog(out).entries[0]!.text).toBe("changed");
  });

  it("throws when the id is not in the file, or the record does not belong there", () => {
    const base = oneFile([minimal("e1")]);
    expect(() => replaceEntry(base, minimal("nope"))).toThrow(/nope/);
    expect(() => replaceEntry(base, minimal("e1", "t", { kind: "fact" }))).toThrow();
    expect(() => replaceEntry(base, minimal("e1", "t", { scope: agentScope }))).toThrow();
  });
});

describe("removeEntries", () => {
  it("removes blocks with the blank line after each and reports what it found", () => {
    const all = oneFile([minimal("e1"), minimal("e2"), minimal("e3")]);
    const r = removeEntries(all, ["e2", "missing"]);
    expect(r.removed).toEqual(["e2"]);
    expect(r.remaining).toBe(2);
    expect(r.content).toBe(oneFile([minimal("e1"), minimal("e3")]));

    const first = removeEntries(all, new Set(["e1"]));
    expect(first.content).toBe(oneFile([minimal("e2"), minimal("e3")]));
  });

  it("removing the last entry leaves the header (remaining 0), and appending again restores the file", () => {
    const one = oneFile([minimal("e1")]);
    const r = removeEntries(one, ["e1"]);
    expect(r).toEqual({ content: `${renderLogHeader(scope, "episode", DAY)}\n`, removed: ["e1"], remaining: 0 });
    expect(parseLog(r.content).entries).toEqual([]);
    expect(appendEntries(r.content, scope, "episode", DAY, [minimal("e1")])).toBe(one);

    const last = removeEntries(oneFile([minimal("e1"), minimal("e2")]), ["e2"]);
    expect(last.remaining).toBe(1);
    expect(appendEntries(last.content, scope, "episode", DAY, [minimal("e2")])).toBe(oneFile([minimal("e1"), minimal("e2")]));
  });

  it("removes several, keeps human text, and is a no-op for unknown ids", () => {
    const all = oneFile([minimal("e1"), minimal("e2"), minimal("e3")]) + "\nfooter by a human\n";
    const r = removeEntries(all, ["e3", "e1"]);
    expect(r.removed).toEqual(["e1", "e3"]);
    expect(r.remaining).toBe(1);
    expect(r.content).toContain("footer by a human\n");
    expect(parseLog(r.content).entries.map((e) => e.id)).toEqual(["e2"]);
    expect(removeEntries(all, ["zzz"])).toEqual({ content: all, removed: [], remaining: 3 });
  });
});

describe("malformed input", () => {
  const good = () => oneFile([minimal("e1"), minimal("e2")]);
  const path = "default/default/users/alice/episodes/2026-11-21.md";

  it("names the file, the entry and its line", () => {
    const bad = good().replace("hash: hash-e2", "hash: [unclosed");
    expect(() => parseLog(bad, path)).toThrow(/default\/default\/users\/alice\/episodes\/2026-11-21\.md.*entry e2 \(line \d+\).*YAML/);
    const line = bad.split("\n").indexOf("<!-- entry:e2 -->") + 1;
    expect(() => parseLog(bad, path)).toThrow(`entry e2 (line ${line})`);
  });

  it("rejects a missing end marker", () => {
    expect(() => parseLog(good().replace("<!-- /entry:e1 -->\n", ""), path)).toThrow(/entry e1 .*missing end marker/);
    expect(() => parseLog(good().replace("<!-- /entry:e2 -->\n", ""), path)).toThrow(/entry e2 .*missing end marker/);
    expect(() => listEntryIds(good().replace("<!-- /entry:e2 -->\n", ""))).toThrow(/missing end marker/);
    expect(() => removeEntries(good().replace("<!-- /entry:e2 -->\n", ""), ["e1"])).toThrow(/missing end marker/);
  });

  it("rejects mismatched, stray and malformed markers, and duplicate ids", () => {
    expect(() => parseLog(good().replace("<!-- /entry:e1 -->", "<!-- /entry:e9 -->"))).toThrow(/unexpected end marker/);
    expect(() => parseLog(`${good()}<!-- /entry:e3 -->\n`)).toThrow(/end marker without a start/);
    expect(() => parseLog(`${good()}<!-- entry:bad id -->\n`)).toThrow(/malformed start marker/);
    expect(() => parseLog(`${good()}\n${renderEntry(minimal("e1"))}`)).toThrow(/twice/);
  });

  it("rejects broken entry bodies", () => {
    expect(() => parseLog(good().replace("```yaml\nid: e1", "id: e1"))).toThrow(/entry e1.*fence/);
    expect(() => parseLog(good().replace("hash: hash-e1\n```\n", "hash: hash-e1\n"))).toThrow(/entry e1.*not closed/);
    expect(() => parseLog(good().replace("\n\ntext of e1\n\n", "\n\ntext of e1\n"))).toThrow(/entry e1.*blank line/);
    expect(() => parseLog(good().replace("id: e1\n", "id: e7\n"))).toThrow(/does not match the marker/);
    expect(() => parseLog(good().replace("id: e1\n", ""))).toThrow(/does not match the marker/);
    expect(() => parseLog(good().replace("kind: episode\n", "kind: fact\n"))).toThrow(/kind/);
    expect(() => parseLog(good().replace("hash: hash-e1\n", "hash: h\nhash: h\n"))).toThrow(/unique/);
    expect(() => parseLog(good().replace("hash: hash-e1\n", "hash: h\ncolour: red\n"))).toThrow(/unknown field "colour"/);
    expect(() => parseLog(good().replace("hash: hash-e1\n", ""))).toThrow(/hash/);
    expect(() => parseLog(good().replace("timestamp: 2026-11-21T10:30:15.123Z", "timestamp: yesterday"))).toThrow(/timestamp/);
    expect(() => parseLog(good().replace("timestamp: 2026-11-21T10:30:15.123Z", "timestamp: 1700000000000"))).toThrow(/timestamp/);
    expect(() => parseLog(good().replace("hash: hash-e1\n", "hash: hash-e1\nmetadata:\n  a: [1]\n"))).toThrow(/metadata\.a/);
    expect(() => parseLog(good().replace("hash: hash-e1\n", "hash: hash-e1\nrole: robot\n"))).toThrow(/role/);
    expect(() => parseLog(good().replace("hash: hash-e1\n", "hash: hash-e1\nuser_id: 5\n"))).toThrow(/user_id/);
    expect(() => parseLog(good().replace("hash: hash-e1\n", "hash: hash-e1\nmetadata: [1]\n"))).toThrow(/metadata must be a map/);
  });

  it("reads source parts as written, and rejects broken ones by name", () => {
    const parts = "source_parts:\n  - type: image\n    format: png\n    name: receipt.png\n    parser: image/ocr\n    model: tesseract.js\n    sha256: ab\n    bytes: 12\n";
    const withParts = (list: string) => good().replace("hash: hash-e1\n", `${list}hash: hash-e1\n`);
    expect(parseLog(withParts(parts)).entries[0]!.sourceParts).toEqual([
      { type: "image", format: "png", name: "receipt.png", parser: "image/ocr", model: "tesseract.js", sha256: "ab", bytes: 12 },
    ]);
    expect(() => parseLog(withParts("source_parts: receipt.png\n"))).toThrow(/entry e1.*source_parts must be a list/);
    expect(() => parseLog(withParts(parts.replace("type: image", "type: hologram")))).toThrow(/source_parts\[0\]\.type/);
    expect(() => parseLog(withParts(parts.replace("bytes: 12", "bytes: -1")))).toThrow(/source_parts\[0\]\.bytes/);
    expect(() => parseLog(withParts(parts.replace("    parser: image/ocr\n", "")))).toThrow(/source_parts\[0\]\.parser must be a string/);
    expect(() => parseLog(withParts(parts.replace("model:", "colour:")))).toThrow(/source_parts\[0\]: unknown field "colour"/);
  });

  it("accepts a timestamp a person wrote with an offset", () => {
    const edited = good().replace("timestamp: 2026-11-21T10:30:15.123Z", "timestamp: 2026-11-21T12:30:15.123+02:00");
    expect(parseLog(edited).entries[0]!.timestamp).toBe(T0);
  });

  it("rejects broken front matter", () => {
    const g = good();
    expect(() => parseLog(g.slice(4), path)).toThrow(/front matter/);
    expect(() => parseLog(g.replace(/\n/g, "\r\n"), path)).toThrow(/CRLF/);
    expect(() => parseLog(g.replace("---\n\n#", "\n\n#"), path)).toThrow(/not closed/);
    expect(() => parseLog(g.replace("omnimem: 1", "omnimem: 2"), path)).toThrow(/version/);
    expect(() => parseLog(g.replace("kind: episodes", "kind: notes"), path)).toThrow(/kind/);
    expect(() => parseLog(g.replace("owner_type: user", "owner_type: group"), path)).toThrow(/owner_type/);
    expect(() => parseLog(g.replace("owner_id: alice", "owner_id: ../x"), path)).toThrow(/front matter/);
    expect(() => parseLog(g.replace("app_id: default\n", ""), path)).toThrow(/app_id/);
    expect(() => parseLog(g.replace("date: 2026-11-21", "date: tomorrow"), path)).toThrow(/date/);
    expect(() => parseLog(g.replace("date: 2026-11-21", "date: [x"), path)).toThrow(/front matter/);
    expect(() => parseLog("", path)).toThrow(new RegExp(path.replace(/\./g, "\\.")));
  });

  it("ignores marker-free text and escaped markers that people add between entries", () => {
    const g = good().replace("<!-- entry:e2 -->", "<!-- a comment -->\n <!-- entry:indented -->\n<!-- \\entry:x -->\n\n<!-- entry:e2 -->");
    expect(parseLog(g).entries.map((e) => e.id)).toEqual(["e1", "e2"]);
  });
});

describe("renderPlainMapping", () => {
  const libraryYaml = (doc: Record<string, unknown>) => stringify(doc, { lineWidth: 0, minContentWidth: 0 });

  it("writes exactly what the yaml library writes, whenever it writes anything", () => {
    const tricky = [
      "user0", "alice", "6d796e86-3fea-4860-a5fa-1d51449ff7a6", "2025-10-28T00:00:00.000Z", "b0e12a41", "123", "0123", "1e5",
      "12e45", "1.5", ".5", "1.", "0x1F", "0o17", "0b101", "+1", "-1", "true", "True", "TRUE", "yes", "no", "on", "off", "null",
      "Null", "~", ".inf", "-.inf", ".NaN", "a:b", "a: b", "a #b", "#a", "-a", "@a", "a@b", "a/b", "_a", "a.", "a..b", "2025-10-28",
      "12:30", "1_000", "a b", "", " ", "a\nb", "'a'", "\"a\"", "a'", "é", "[a]", "{a}", "*a", "&a", "!a", "|a", ">a", "%a", "`a",
      "?a", ",a", "a,b", "=", "<<", "a-", "-", "--", "---", "...", "1-2", "1.2.3", "0", "00", "e5", "E", "inf", "nan",
    ];
    let random = 12345;
    const next = () => (random = (random * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = "ab01e9xo.-_/@:# T+Z'\"";
    const generated = Array.from({ length: 3000 }, () =>
      Array.from({ length: 1 + Math.floor(next() * 8) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(""),
    );
    let plain = 0;
    for (const value of [...tricky, ...generated]) {
      const doc = { id: "6d796e86-3fea-4860-a5fa-1d51449ff7a6", value };
      const fast = renderPlainMapping(doc);
      if (fast === undefined) continue;
      plain++;
      expect(fast, JSON.stringify(value)).toBe(libraryYaml(doc));
      expect(parse(fast)).toEqual(doc);
    }
    expect(plain).toBeGreaterThan(500);
  });

  it("takes the usual entry (ids, names, times, a hash) and leaves metadata and source parts to the library", () => {
    const doc = {
      id: "ac6b7fe4-151b-438c-b889-56a03c9dc606", kind: "episode", user_id: "user0", role: "user",
      timestamp: "2025-10-28T00:00:00.000Z", hash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    };
    expect(renderPlainMapping(doc)).toBe(libraryYaml(doc));
    expect(renderPlainMapping({ ...doc, metadata: { topic: "x" } })).toBeUndefined();
    expect(renderPlainMapping({ ...doc, user_id: "Alice Smith" })).toBeUndefined();
  });
});
