/**
 * Moving data between backends: `copy` from an embedded root into PostgreSQL (PGlite with
 * pgvector here; the real server too when OMNIMEM_TEST_PG_URL is set and has pgvector) and back,
 * and `export` of a PostgreSQL-backed store giving the markdown an embedded root gives.
 */
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import {
  dropSchema,
  freshSchema,
  pgliteTarget,
  realPostgresTarget,
  REAL_PG_URL,
  serverHasVector,
  type PostgresTarget,
} from "../../../test/support/postgres-targets.js";
import { LocalEmbedder } from "../../providers/embedding/local-embedder.js";
import type { Backend } from "../../spec/backend.js";
import type { Embedder } from "../../spec/embedder.js";
import type { HistoryEntry, MemoryRecord, Scope } from "../../spec/types.js";
import { makeRecord } from "../../store/conformance.suite.js";
import { EmbeddedBackend } from "../../store/embedded/embedded-backend.js";
import { PostgresMemoryBackend } from "../../store/postgres/postgres-memory-backend.js";
import { backendAt, copyMemories } from "./copy.js";
import { runExport } from "./export.js";

const alice: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const bot: Scope = { appId: "app2", projectId: "proj", ownerType: "agent", ownerId: "helper-bot" };
const embedder = new LocalEmbedder({ dimensions: 64 });

const targets: PostgresTarget[] = [pgliteTarget(), realPostgresTarget(await serverHasVector(REAL_PG_URL))];

async function all(backend: Backend): Promise<MemoryRecord[]> {
  const records: MemoryRecord[] = [];
  for await (const record of backend.recordsInCreationOrder!()) records.push(record);
  return records;
}

async function histories(backend: Backend, records: MemoryRecord[]): Promise<HistoryEntry[][]> {
  return Promise.all(records.map((record) => backend.store.history(record.id)));
}

/** Files under `dir` (relative, sorted) with their contents. */
async function filesOf(dir: string, files: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of [...files].sort()) out[relative(dir, file)] = await readFile(file, "utf8");
  return out;
}

/** Fails every embed call after the first `ok` ones: an interrupt in the middle of a copy. */
function failingAfter(ok: number): Embedder {
  let calls = 0;
  return {
    model: embedder.model,
    dimensions: embedder.dimensions,
    ready: () => embedder.ready(),
    embed: async (texts) => {
      if (++calls > ok) throw new Error("interrupted");
      return embedder.embed(texts);
    },
  };
}

for (const target of targets) {
  const skipped = target.unavailable ?? (target.vectors ? undefined : "the server has no pgvector");
  describe.skipIf(skipped !== undefined)(`copy and export through ${target.name}${skipped === undefined ? "" : ` (skipped: ${skipped})`}`, () => {
    const identity = { model: embedder.model, dimensions: embedder.dimensions };
    let roots: string[] = [];
    let schemas: string[] = [];
    let open: Backend[] = [];

    beforeAll(() => target.start(), 60_000);
    afterAll(() => target.stop());
    beforeEach(() => {
      roots = [];
      schemas = [];
      open = [];
    });
    afterEach(async () => {
      for (const backend of open) await backend.close();
      for (const root of roots) await removeTempRoot(root);
      for (const schema of schemas) await dropSchema(target.url(), schema);
    });

    async function embeddedBackend(): Promise<EmbeddedBackend> {
      const root = await makeTempRoot();
      roots.push(root);
      const backend = new EmbeddedBackend({ root });
      await backend.open();
      open.push(backend);
      return backend;
    }

    async function postgresBackend(): Promise<PostgresMemoryBackend> {
      const schema = freshSchema();
      schemas.push(schema);
      const backend = new PostgresMemoryBackend({ url: target.url(), schema, poolSize: target.poolSize });
      await backend.open();
      open.push(backend);
      return backend;
    }

    /** An embedded root with two owners' memories, one updated (two history rows), through the store as Memory writes. */
    async function seededRoot(count = 6): Promise<EmbeddedBackend> {
      const source = await embeddedBackend();
      await source.index.open(identity);
      const records = [
        makeRecord(alice, "Alice drinks oat milk coffee every morning", { kind: "fact", metadata: { stars: 3, topic: "food" } }),
        makeRecord(alice, "Alice moved to Berlin in March", { runId: "run-1", sessionId: "s1", role: "user", senderId: "alice" }),
        makeRecord(bot, "The helper bot answers in German", { metadata: { lang: "de" } }),
      ];
      for (let i = records.length; i < count; i++) records.push(makeRecord(alice, `Alice note number ${i} about gardening`));
      for (const record of records) await source.store.apply([{ op: "add", record }]);
      const first = records[0]!;
      await source.store.apply([{ op: "update", record: { ...first, text: "Alice drinks soy milk coffee every morning", updatedAt: first.updatedAt + 5 } }]);
      return source;
    }

    it("embedded -> PostgreSQL -> embedded keeps texts, ids, owners, metadata and history, and search finds them", async () => {
      const source = await seededRoot();
      const database = await postgresBackend();
      const first = await copyMemories(source, database, { embedder, batchSize: 4 });
      expect(first).toMatchObject({ memories: 6, copied: 6, skipped: 0 });

      const back = await embeddedBackend();
      const second = await copyMemories(database, back, { embedder, batchSize: 4 });
      expect(second).toMatchObject({ memories: 6, copied: 6, skipped: 0 });

      const original = await all(source);
      expect(await all(database)).toEqual(original);
      expect(await all(back)).toEqual(original);
      const history = await histories(source, original);
      expect(history.find((rows) => rows.length === 2)?.map((row) => row.action)).toEqual(["ADD", "UPDATE"]);
      expect(await histories(database, original)).toEqual(history);
      expect(await histories(back, original)).toEqual(history);

      for (const backend of [database, back]) {
        const keyword = await backend.index.keyword("soy milk coffee", { scope: alice, limit: 3 });
        expect(keyword[0]?.id).toBe(original[0]!.id);
        const [vector] = await embedder.embed(["The helper bot answers in German"]);
        const nearest = await backend.index.vector(vector!, { scope: bot, limit: 1 });
        expect(nearest.map((hit) => hit.id)).toEqual([original[2]!.id]);
      }
    });

    it("an interrupted copy resumes: the rerun copies only what is missing, nothing twice", async () => {
      const source = await seededRoot(9);
      const database = await postgresBackend();
      await expect(copyMemories(source, database, { embedder: failingAfter(1), batchSize: 4 })).rejects.toThrow("interrupted");
      expect(await database.store.count()).toBe(4);

      const rerun = await copyMemories(source, database, { embedder, batchSize: 4 });
      expect(rerun).toMatchObject({ memories: 9, copied: 5, skipped: 4 });
      expect(await database.store.count()).toBe(9);
      expect((await all(database)).map((record) => record.id)).toEqual((await all(source)).map((record) => record.id));
      const again = await copyMemories(source, database, { embedder, batchSize: 4 });
      expect(again).toMatchObject({ copied: 0, skipped: 9 });
    });

    // jsonb keeps an object's keys in its own order (shorter first, then bytewise), not as written:
    // the metadata here is written in that order, so the files can be compared byte for byte.
    it("markdown export of a PostgreSQL store gives the files an embedded root holds; JSONL the same lines", async () => {
      const source = await seededRoot();
      const database = await postgresBackend();
      await copyMemories(source, database, { embedder });
      const fromRoot = join(roots[0]!, "..", `${relative(join(roots[0]!, ".."), roots[0]!)}-export-embedded`);
      const fromDatabase = join(roots[0]!, "..", `${relative(join(roots[0]!, ".."), roots[0]!)}-export-postgres`);
      roots.push(fromRoot, fromDatabase);
      const config = { appId: "default", projectId: "default" };
      const embeddedExport = await runExport({ backend: source, config }, { format: "markdown", out: fromRoot });
      const postgresExport = await runExport({ backend: database, config }, { format: "markdown", out: fromDatabase });
      expect(postgresExport.memories).toBe(6);
      expect(embeddedExport.files.length).toBe(3);
      expect(await filesOf(fromDatabase, postgresExport.files)).toEqual(await filesOf(fromRoot, embeddedExport.files));

      const lines = async (backend: Backend) => {
        let text = "";
        const stdout = { write: (chunk: string, done: (error?: Error | null) => void) => ((text += chunk), done(null), true) };
        await runExport({ backend, config }, { format: "jsonl", out: undefined, userId: "alice", stdout: stdout as unknown as NodeJS.WritableStream });
        return text;
      };
      const jsonl = await lines(database);
      expect(jsonl.trim().split("\n")).toHaveLength(5);
      expect(jsonl).toBe(await lines(source));
    });
  });
}

describe("backendAt", () => {
  it("takes [store] vectors = false to a PostgreSQL side (a database without pgvector can receive a copy), and a folder as an embedded root", () => {
    expect(backendAt("postgres://db.invalid/mem", { vectors: false }).index.hasVectors).toBe(false);
    expect(backendAt("postgres://db.invalid/mem", {}).index.hasVectors).not.toBe(false);
    expect(backendAt("/tmp/some-root")).toBeInstanceOf(EmbeddedBackend);
  });
});
