/**
 * Text that came from a file keeps, with the memory, which file it was and which parser (and
 * model) read it: through the session buffer, the episode, a restart, and every read path
 * (search, get, getAll, and the HTTP API's episodes), on the default local pipeline (OCR).
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { createApp } from "../src/server/app.js";
import { PostgresMemoryBackend } from "../src/store/postgres/postgres-memory-backend.js";
import type { SourcePart } from "../src/spec/types.js";
import { startFakeOpenAI } from "./support/fake-openai-server.js";
import { imageWithText } from "./support/fixtures/index.js";
import { dropSchema, freshSchema, pgliteTarget } from "./support/postgres-targets.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const OPEN = { logLevel: "silent" } as const;

let root: string;
let png: Uint8Array;
let receipt: SourcePart;

const photoTurn = (text: string) => ({
  role: "user" as const,
  content: [
    { type: "text" as const, text },
    { type: "image" as const, base64: Buffer.from(png).toString("base64"), name: "receipt.png" },
  ],
});

beforeAll(async () => {
  root = await makeTempRoot("omnimem-source-parts-");
  png = await imageWithText("PELICAN HARDWARE\nTOTAL 42 EUR", { format: "png" });
  receipt = {
    type: "image",
    format: "png",
    name: "receipt.png",
    parser: "image/ocr",
    model: "tesseract.js",
    sha256: createHash("sha256").update(png).digest("hex"),
    bytes: png.byteLength,
  };
}, 30_000);

afterAll(async () => {
  await removeTempRoot(root);
});

describe("the file and parser behind a memory's text", () => {
  it("an episode made from a turn with a PNG names the file and its parser after a restart: search, get and getAll", async () => {
    const first = await Memory.open({ root, ...OPEN });
    let episodeId: string;
    try {
      const added = await first.add([photoTurn("Receipt from the hardware store")], { userId: "ada", sessionId: "receipts" });
      expect(added.parts).toEqual([expect.objectContaining({ name: "receipt.png", parser: "image/ocr", model: "tesseract.js", parseStatus: "ok" })]);
      episodeId = added.episodes[0]!;
      expect(episodeId).toBeDefined();
    } finally {
      await first.close();
    }

    const memory = await Memory.open({ root, ...OPEN });
    try {
      const { results } = await memory.search("pelican hardware", { userId: "ada" });
      const hit = results.find((result) => result.id === episodeId);
      expect(hit?.memory).toMatch(/PELICAN/);
      expect(hit?.sourceParts).toEqual([receipt]);
      expect((await memory.get(episodeId, { userId: "ada" }))?.sourceParts).toEqual([receipt]);
      const all = await memory.getAll({ userId: "ada" });
      expect(all.results.find((item) => item.id === episodeId)?.sourceParts).toEqual([receipt]);
    } finally {
      await memory.close();
    }
  }, 60_000);

  it("a turn still buffered when the process stops gives its file and parser to the episode flushed after the restart", async () => {
    const first = await Memory.open({ root, ...OPEN });
    try {
      // Parsed once here (or by an earlier test), so the add below reads the text from the parse cache.
      await first.add([photoTurn("warming the parse cache")], { userId: "bea", sessionId: "warm-up", infer: false });
      const added = await first.add([photoTurn("Second copy of the receipt"), { role: "user", content: "and a note without a file" }], {
        userId: "bea",
        sessionId: "later",
        flush: false,
      });
      // Text from the parse cache: the report still names the engine that read it.
      expect(added.parts).toEqual([expect.objectContaining({ cached: true, parser: "image/ocr", model: "tesseract.js" })]);
      expect(added.episodes).toEqual([]);
    } finally {
      await first.close();
    }

    const memory = await Memory.open({ root, ...OPEN });
    try {
      const flushed = await memory.flush({ userId: "bea", sessionId: "later" });
      expect(flushed.episodes).toHaveLength(1);
      expect((await memory.get(flushed.episodes[0]!))?.sourceParts).toEqual([receipt]);
    } finally {
      await memory.close();
    }
  }, 60_000);

  it("infer: false stores each turn with its own files only, and a memory without files has none", async () => {
    const memory = await Memory.open({ root, ...OPEN });
    try {
      const added = await memory.add([{ role: "user", content: "just words" }, photoTurn("the photo")], { userId: "cy", infer: false });
      const [words, photo] = await Promise.all(added.results.map((result) => memory.get(result.id)));
      expect(words?.sourceParts).toBeUndefined();
      expect(photo?.sourceParts).toEqual([receipt]);
    } finally {
      await memory.close();
    }
  }, 60_000);

  it("an episode extracted by an LLM (a narrative that quotes no file) still names its files, and its facts none", async () => {
    const llm = await startFakeOpenAI();
    const memory = await Memory.open({ root, ...OPEN, llm: { baseUrl: llm.baseURL, model: "fake-extractor", apiKey: "sk-test", maxRetries: 0 } });
    try {
      llm.chat.enqueue(
        JSON.stringify({
          subject: "Hardware receipt",
          summary: "Eve bought something at Pelican Hardware.",
          narrative: "Eve shared a receipt from Pelican Hardware totalling 42 EUR.",
          facts: [{ text: "Eve spent 42 EUR at Pelican Hardware", time: null }],
        }),
      );
      const added = await memory.add([photoTurn("my receipt")], { userId: "eve", sessionId: "extracted" });
      const [episode, fact] = await Promise.all(added.results.map((result) => memory.get(result.id)));
      expect(episode).toMatchObject({ kind: "episode", memory: "Eve shared a receipt from Pelican Hardware totalling 42 EUR.", sourceParts: [receipt] });
      expect(fact?.kind).toBe("fact");
      expect(fact?.sourceParts).toBeUndefined();
    } finally {
      await memory.close();
      await llm.close();
    }
  }, 60_000);

  it("the HTTP API's episodes carry source_parts in /search and /get, and /add names the file and model of each part", async () => {
    const memory = await Memory.open({ root, ...OPEN });
    try {
      const app = createApp(memory, { logger: undefined });
      const post = async (route: string, body: unknown): Promise<any> => {
        const response = await app.request(`/api/v1/memory/${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        const json = (await response.json()) as { data: unknown };
        expect(response.status, JSON.stringify(json)).toBe(200);
        return json.data;
      };
      const added = await post("add", {
        user_id: "dan",
        session_id: "http",
        sync: true,
        messages: [{ role: "user", sender_id: "dan", timestamp: Date.UTC(2026, 4, 4, 9), content: [{ type: "image", base64: Buffer.from(png).toString("base64"), name: "receipt.png" }] }],
      });
      expect(added.parts).toEqual([expect.objectContaining({ name: "receipt.png", parser: "image/ocr", model: "tesseract.js" })]);
      const wire = { type: "image", format: "png", name: "receipt.png", parser: "image/ocr", model: "tesseract.js", sha256: receipt.sha256, bytes: receipt.bytes };
      const found = await post("search", { user_id: "dan", query: "pelican hardware", method: "keyword" });
      expect(found.episodes.map((episode: { source_parts?: unknown }) => episode.source_parts)).toEqual([[wire]]);
      const listed = await post("get", { user_id: "dan" });
      expect(listed.episodes.map((episode: { source_parts?: unknown }) => episode.source_parts)).toEqual([[wire]]);
    } finally {
      await memory.close();
    }
  }, 60_000);
});

describe("the file and parser behind a memory's text, on PostgreSQL (PGlite + pgvector)", () => {
  const pglite = pgliteTarget();
  const schema = freshSchema();
  beforeAll(() => pglite.start(), 180_000);
  afterAll(async () => {
    await dropSchema(pglite.url(), schema);
    await pglite.stop();
  });
  const open = () =>
    Memory.open({ root, ...OPEN, backend: new PostgresMemoryBackend({ url: pglite.url(), schema, poolSize: pglite.poolSize, index: { vectors: true } }) });

  it("a buffered turn with a PNG, flushed by another Memory on the same database, gives the episode its file and parser", async () => {
    const first = await open();
    try {
      const added = await first.add([photoTurn("Receipt, on the shared database")], { userId: "fay", sessionId: "shared", flush: false });
      expect(added.episodes).toEqual([]);
    } finally {
      await first.close();
    }
    const memory = await open();
    try {
      const flushed = await memory.flush({ userId: "fay", sessionId: "shared" });
      expect(flushed.episodes).toHaveLength(1);
      const { results } = await memory.search("pelican hardware", { userId: "fay", method: "keyword" });
      expect(results.map((hit) => hit.sourceParts)).toEqual([[receipt]]);
      expect((await memory.get(flushed.episodes[0]!))?.sourceParts).toEqual([receipt]);
      expect((await memory.getAll({ userId: "fay" })).results.map((item) => item.sourceParts)).toEqual([[receipt]]);
    } finally {
      await memory.close();
    }
  }, 120_000);
});
