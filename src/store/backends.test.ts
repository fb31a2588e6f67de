/**
 * One set of conformance suites looped over every backend (the Kysely shape): the embedded
 * backend (markdown + SQLite + LanceDB), PGlite with pgvector served over the PostgreSQL wire
 * protocol (in this process), and a real PostgreSQL server when OMNIMEM_TEST_PG_URL names one
 * (.ci/postgres.sh starts Debian's; without pgvector its vector tests skip, saying so).
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../test/support/temp-root.js";
import {
  REAL_PG_URL,
  dropSchema,
  freshSchema,
  pgliteTarget,
  realPostgresTarget,
  serverHasVector,
  type PostgresTarget,
} from "../../test/support/postgres-targets.js";
import { MemoryWriter } from "../ingest/memory-writer.js";
import { LocalEmbedder } from "../providers/embedding/local-embedder.js";
import { describeMemoryStoreConformance, makeRecord, type ConformanceFactory } from "./conformance.suite.js";
import { describeSearchIndexConformance, type SearchIndexConformanceFactory } from "./search-index.suite.js";
import {
  describeParseCacheConformance,
  describeSessionBufferConformance,
  type ParseCacheConformanceFactory,
  type SessionBufferConformanceFactory,
} from "./session-buffer.suite.js";
import { EmbeddedStore } from "./embedded/embedded-store.js";
import { LanceIndex } from "./embedded/lance-index.js";
import { SqliteParseCache } from "./embedded/sqlite-parse-cache.js";
import { SqliteSessionBuffer } from "./embedded/sqlite-session-buffer.js";
import { PostgresBackend } from "./postgres/postgres-backend.js";
import type { PostgresMemoryStore } from "./postgres/pg-memory-store.js";

interface BackendUnderTest {
  name: string;
  unavailable?: string;
  /** Undefined for the embedded store: src/store/embedded/embedded-store.test.ts runs its suite. */
  memoryStore?: ConformanceFactory;
  searchIndex: SearchIndexConformanceFactory;
  sessionBuffer: SessionBufferConformanceFactory;
  parseCache: ParseCacheConformanceFactory;
}

const embedded: BackendUnderTest = {
  name: "embedded (markdown + SQLite + LanceDB)",
  searchIndex: {
    create: async () => {
      const root = await makeTempRoot();
      return { store: new EmbeddedStore({ root }), index: new LanceIndex({ directory: join(root, ".index", "lance") }) };
    },
    destroy: async (pair) => removeTempRoot((pair.store as EmbeddedStore).root),
  },
  sessionBuffer: {
    create: async () => {
      const store = await openEmbeddedStore();
      return { buffer: new SqliteSessionBuffer(() => store.stateDb), close: () => closeEmbeddedStore(store) };
    },
  },
  parseCache: {
    create: async () => {
      const store = await openEmbeddedStore();
      return { cache: new SqliteParseCache(() => store.stateDb), close: () => closeEmbeddedStore(store) };
    },
  },
};

async function openEmbeddedStore(): Promise<EmbeddedStore> {
  const store = new EmbeddedStore({ root: await makeTempRoot() });
  await store.open();
  return store;
}

async function closeEmbeddedStore(store: EmbeddedStore): Promise<void> {
  await store.close();
  await removeTempRoot(store.root);
}

function postgres(target: PostgresTarget): BackendUnderTest {
  /** A backend on a schema of its own, so every test starts from an empty database. */
  const backend = () =>
    new PostgresBackend({ url: target.url(), schema: freshSchema(), poolSize: target.poolSize, index: { vectors: target.vectors } });
  const dispose = (database: PostgresBackend["database"]) => dropSchema(target.url(), database.schema);
  /** Parts without an open() of their own (buffer, parse cache) use the pool the store opens. */
  const opened = async () => {
    const parts = backend();
    await parts.database.acquire();
    return { parts, close: async () => (await parts.database.release(), await dispose(parts.database)) };
  };
  return {
    name: target.name,
    ...(target.unavailable === undefined ? {} : { unavailable: target.unavailable }),
    memoryStore: {
      create: async () => backend().store,
      destroy: (store) => dispose((store as PostgresMemoryStore).database),
      noOutbox: true,
    },
    searchIndex: {
      create: async () => {
        const parts = backend();
        return { store: parts.store, index: parts.index };
      },
      destroy: (pair) => dispose((pair.store as PostgresMemoryStore).database),
      ...(target.vectors ? {} : { vectorsUnavailable: "this PostgreSQL server has no pgvector; PGlite runs the vector tests" }),
    },
    sessionBuffer: {
      create: async () => {
        const { parts, close } = await opened();
        return { buffer: parts.buffer, close };
      },
    },
    parseCache: {
      create: async () => {
        const { parts, close } = await opened();
        return { cache: parts.parseCache, close };
      },
    },
  };
}

const pglite = pgliteTarget();
const realPostgres = realPostgresTarget(await serverHasVector(REAL_PG_URL));

beforeAll(() => pglite.start(), 180_000);
afterAll(() => pglite.stop());

for (const backend of [embedded, postgres(pglite), postgres(realPostgres)]) {
  const skipped = backend.unavailable;
  describe.skipIf(skipped !== undefined)(`backend: ${backend.name}${skipped === undefined ? "" : ` (skipped: ${skipped})`}`, () => {
    if (backend.memoryStore !== undefined) describeMemoryStoreConformance(backend.name, backend.memoryStore);
    describeSearchIndexConformance(backend.name, backend.searchIndex);
    describeSessionBufferConformance(backend.name, backend.sessionBuffer);
    describeParseCacheConformance(backend.name, backend.parseCache);
  });
}

describe("PostgreSQL backend on PGlite + pgvector: the write path and recovery", () => {
  const embedder = new LocalEmbedder({ dimensions: 64 });
  const identity = { model: embedder.model, dimensions: 64 };
  const alice = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };
  let backend: PostgresBackend;

  beforeEach(async () => {
    backend = new PostgresBackend({ url: pglite.url(), schema: freshSchema(), poolSize: pglite.poolSize });
    await backend.store.open();
    await backend.index.open(identity);
  });
  afterEach(async () => {
    await backend.index.close();
    await backend.store.close();
    await dropSchema(pglite.url(), backend.database.schema);
  });

  it("takes Memory's write path unchanged (MemoryWriter: store, then index) and owes nothing after it", async () => {
    const writer = new MemoryWriter(backend.store, backend.index, embedder);
    const record = makeRecord(alice, "The offsite is in Lisbon in September");
    const history = await writer.write([{ op: "add", record }]);
    expect(history.map((entry) => entry.action)).toEqual(["ADD"]);
    expect((await backend.index.keyword("Lisbon offsite", { scope: alice, limit: 5 })).map((hit) => hit.id)).toEqual([record.id]);
    expect((await backend.index.vector(embedder.embedOne(record.text), { scope: alice, limit: 1 }))[0]?.id).toBe(record.id);
    expect(await backend.store.pendingIndexJobs(10)).toEqual([]);
    await writer.write([{ op: "delete", id: record.id }]);
    expect(await backend.index.keyword("Lisbon", { scope: alice, limit: 5 })).toEqual([]);
    await writer.close();
  });

  it("re-embeds at start a memory whose process died between the store and the index", async () => {
    const record = makeRecord(alice, "Marta prefers window seats on long flights");
    await backend.store.apply([{ op: "add", record }]);
    // No index step: the process died here. Keyword search already finds the row...
    expect((await backend.index.keyword("window seats", { scope: alice, limit: 5 })).map((hit) => hit.id)).toEqual([record.id]);
    expect(await backend.index.vector(embedder.embedOne(record.text), { scope: alice, limit: 5 })).toEqual([]);
    // ...and the store names it as owed, so the next start's replay embeds it.
    expect(await backend.store.pendingIndexJobs(10)).toEqual([{ seq: expect.any(Number), memoryId: record.id, op: "upsert" }]);
    const writer = new MemoryWriter(backend.store, backend.index, embedder);
    expect(await writer.replay()).toBe(1);
    expect((await backend.index.vector(embedder.embedOne(record.text), { scope: alice, limit: 1 }))[0]?.id).toBe(record.id);
    expect(await backend.store.pendingIndexJobs(10)).toEqual([]);
    await writer.close();
  });

  it("writes record, history and embedding in one transaction when the writer hands the vectors to the store", async () => {
    const record = makeRecord(alice, "The staging cluster runs in eu-west-3");
    const vectors = new Map([[record.id, embedder.embedOne(record.text)]]);
    await backend.store.apply([{ op: "add", record }], vectors);
    expect((await backend.index.vector(embedder.embedOne(record.text), { scope: alice, limit: 1 }))[0]?.id).toBe(record.id);
    expect(await backend.store.pendingIndexJobs(10)).toEqual([]);
    // A batch that fails part-way writes nothing: no record, no history, no vector.
    const other = makeRecord(alice, "Something that must not be stored");
    await expect(
      backend.store.apply([{ op: "add", record: other }, { op: "delete", id: makeRecord(alice, "x").id }], new Map([[other.id, embedder.embedOne(other.text)]])),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await backend.store.get(other.id)).toBeUndefined();
    expect(await backend.store.history(other.id)).toEqual([]);
    expect(await backend.index.count()).toBe(1);
  });

  it("has an HNSW index whose operator class serves the cosine ordering vector search uses", async () => {
    const plan = await backend.database.transaction(async (client) => {
      // A handful of rows never make the planner prefer an index on its own: rule out the scan.
      await client.query("SET LOCAL enable_seqscan = off");
      const probe = `[${Array.from(embedder.embedOne("probe")).join(",")}]`;
      const { rows } = await client.query<{ "QUERY PLAN": string }>("EXPLAIN SELECT id FROM memories ORDER BY embedding <=> $1::vector LIMIT 5", [probe]);
      return rows.map((row) => row["QUERY PLAN"]).join("\n");
    });
    expect(plan).toContain("Index Scan using memories_embedding_hnsw");
  });
});
