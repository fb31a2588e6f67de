/**
 * What only a real PostgreSQL server can show: several servers (here: several pools, each a
 * backend as one omnimem server builds it) on one database at once. PGlite multiplexes every
 * connection onto one session, so its advisory locks cannot tell two servers apart; these run
 * when OMNIMEM_TEST_PG_URL names a server (.ci/postgres.sh starts Debian's).
 */
import { createServer } from "node:net";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { REAL_PG_URL, dropSchema, freshSchema, serverHasVector } from "../../../test/support/postgres-targets.js";
import { LocalEmbedder } from "../../providers/embedding/local-embedder.js";
import { CapabilityUnavailableError } from "../../spec/errors.js";
import type { BufferedTurn, SessionKey } from "../../spec/session-buffer.js";
import type { Scope } from "../../spec/types.js";
import { makeRecord } from "../conformance.suite.js";
import { MIGRATIONS, applyMigrations } from "./migrations.js";
import { PostgresBackend, type PostgresBackendOptions } from "./postgres-backend.js";

const embedder = new LocalEmbedder({ dimensions: 64 });
const identity = { model: embedder.model, dimensions: 64 };
const alice: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const hasVector = await serverHasVector(REAL_PG_URL);

describe.skipIf(REAL_PG_URL === undefined)(
  `PostgreSQL backend, several servers on one database${REAL_PG_URL === undefined ? " (skipped: OMNIMEM_TEST_PG_URL is not set; .ci/postgres.sh start sets it)" : ""}`,
  () => {
    const url = REAL_PG_URL!;
    let schema: string;
    const opened: PostgresBackend[] = [];

    /** One omnimem server's backend on the test's schema. */
    const server = (options: Partial<PostgresBackendOptions> = {}) => {
      const backend = new PostgresBackend({ url, schema, poolSize: 4, index: { vectors: hasVector }, ...options });
      opened.push(backend);
      return backend;
    };
    const openServer = async (options: Partial<PostgresBackendOptions> = {}) => {
      const backend = server(options);
      await backend.store.open();
      return backend;
    };

    afterEach(async () => {
      for (const backend of opened.splice(0)) {
        await backend.sessionLocks.close();
        await backend.store.close();
      }
      if (schema !== undefined) await dropSchema(url, schema);
    });

    it("applies the schema once when two servers start at the same moment", async () => {
      schema = freshSchema();
      const reports = await Promise.all([server().migrate(), server().migrate(), server().migrate()]);
      expect(reports.map((report) => report.applied).flat()).toEqual(MIGRATIONS.map((migration) => migration.version));
      expect(reports.every((report) => report.version === MIGRATIONS.at(-1)!.version)).toBe(true);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query(`SELECT version FROM "${schema}".omnimem_migrations ORDER BY version`);
        expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
      } finally {
        await client.end();
      }
      // Servers that open afterwards find nothing to do.
      expect((await server().migrate()).applied).toEqual([]);
    });

    it("applies a new step once across servers, and a server that may not migrate says to run `omnimem migrate`", async () => {
      schema = freshSchema();
      await server().migrate();
      const next = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: "test step", sql: "CREATE TABLE test_step (n integer); INSERT INTO test_step VALUES (1);" }];
      const clients = await Promise.all([0, 1].map(async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        return client;
      }));
      try {
        const reports = await Promise.all(clients.map((client) => applyMigrations(client, schema, { migrations: next })));
        expect(reports.map((report) => report.applied).flat()).toEqual([MIGRATIONS.length + 1]);
        const { rows } = await clients[0]!.query(`SELECT count(*)::int AS n FROM "${schema}".test_step`);
        expect(rows[0].n).toBe(1);
      } finally {
        await Promise.all(clients.map((client) => client.end()));
      }
      const behind = server({ schema: freshSchema(), migrate: false });
      await expect(behind.store.open()).rejects.toThrow(/omnimem migrate/);
      const probe = new pg.Client({ connectionString: url });
      await probe.connect();
      try {
        const { rows } = await probe.query("SELECT to_regnamespace($1) AS schema", [behind.database.schema]);
        expect(rows[0].schema).toBeNull();
      } finally {
        await probe.end();
      }
    });

    it.skipIf(hasVector)("answers CAPABILITY_UNAVAILABLE naming the vector extension when the server lacks pgvector", async () => {
      schema = freshSchema();
      const backend = server({ index: { vectors: true } });
      await backend.store.open();
      const error = await backend.index.open(identity).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CapabilityUnavailableError);
      expect((error as CapabilityUnavailableError).code).toBe("CAPABILITY_UNAVAILABLE");
      expect((error as Error).message).toMatch(/extension "vector" \(pgvector\)/);
      expect((error as CapabilityUnavailableError).details).toEqual({ extension: "vector" });
      // Keyword-only mode still searches, and vector search names what is missing.
      const keywordOnly = server({ index: { vectors: false } });
      await keywordOnly.store.open();
      await keywordOnly.index.open(identity);
      await expect(keywordOnly.index.vector(embedder.embedOne("x"), { scope: alice, limit: 1 })).rejects.toThrow(/extension "vector"/);
      await keywordOnly.index.close();
    });

    it("answers CAPABILITY_UNAVAILABLE when the database cannot be reached", async () => {
      const port = await closedPort();
      const backend = new PostgresBackend({ url: `postgres://postgres@127.0.0.1:${port}/postgres` });
      const error = await backend.store.open().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CapabilityUnavailableError);
      expect((error as Error).message).toMatch(/PostgreSQL is unreachable/);
      const elsewhere = new URL(url);
      elsewhere.pathname = "/no_such_database";
      const unknown = new PostgresBackend({ url: elsewhere.toString() });
      await expect(unknown.store.open()).rejects.toMatchObject({ code: "CAPABILITY_UNAVAILABLE", message: expect.stringMatching(/refused the connection.*no_such_database/) });
    });

    it("finds through server B a memory added through server A, as soon as A's add returns", async () => {
      schema = freshSchema();
      const [a, b] = [await openServer(), await openServer()];
      await a.index.open(identity);
      await b.index.open(identity);
      const record = makeRecord(alice, "The staging database moved to eu-west-3 on Tuesday");
      await a.store.apply([{ op: "add", record }]);
      await a.index.insert([{ record, vector: embedder.embedOne(record.text) }]);
      expect((await b.index.keyword("staging database", { scope: alice, limit: 5 })).map((hit) => hit.id)).toEqual([record.id]);
      expect(await b.store.get(record.id)).toEqual(record);
      if (hasVector) expect((await b.index.vector(embedder.embedOne(record.text), { scope: alice, limit: 1 }))[0]?.id).toBe(record.id);
      await a.index.close();
      await b.index.close();
    });

    it("buffers each turn once when two servers receive the same turns at once", async () => {
      schema = freshSchema();
      const [a, b] = [await openServer(), await openServer()];
      const key: SessionKey = { scope: alice, sessionId: "shared" };
      const turns = Array.from({ length: 40 }, (_, i) => turn(`m${i}`, i));
      const [fromA, fromB] = await Promise.all([
        a.buffer.append(key, turns.slice(0, 30), { metadata: {} }),
        b.buffer.append(key, turns.slice(10), { metadata: {} }),
      ]);
      const appended = [...fromA, ...fromB].map((t) => t.messageId).sort();
      expect(appended).toEqual(turns.map((t) => t.messageId).sort());
      expect(await a.buffer.pending(key)).toHaveLength(40);
      await a.buffer.markFlushed(key, turns.map((t) => t.messageId), "episode-1");
      expect(await b.buffer.append(key, turns, { metadata: {} })).toEqual([]);
    });

    it("hands each idle session to exactly one server, until it is flushed or given back", async () => {
      schema = freshSchema();
      const servers = [await openServer(), await openServer(), await openServer()];
      const keys = Array.from({ length: 12 }, (_, i): SessionKey => ({ scope: alice, sessionId: `s${i}` }));
      for (const key of keys) await servers[0]!.buffer.append(key, [turn(`${key.sessionId}-1`, 1)], { metadata: {} });
      const before = Date.now() + 1;
      const claimed = await Promise.all(servers.map((backend) => backend.buffer.idleSessions(before)));
      const all = claimed.flat().map((key) => key.sessionId);
      expect(all.sort()).toEqual(keys.map((key) => key.sessionId).sort());
      expect(await Promise.all(servers.map((backend) => backend.buffer.idleSessions(before)))).toEqual([[], [], []]);
      // The server that claimed s0 flushes it; another gives s1 back after a failed flush.
      const owner = (sessionId: string) => servers[claimed.findIndex((keysOf) => keysOf.some((key) => key.sessionId === sessionId))]!;
      await owner("s0").buffer.markFlushed(keys[0]!, ["s0-1"], "episode-s0");
      await owner("s1").buffer.releaseClaim(keys[1]!);
      const again = (await Promise.all(servers.map((backend) => backend.buffer.idleSessions(Date.now() + 1)))).flat();
      expect(again.map((key) => key.sessionId)).toEqual(["s1"]);
    });

    it("lets a claim expire when its server died, so another server flushes the session", async () => {
      schema = freshSchema();
      const dying = await openServer({ buffer: { flushLeaseMs: 1 } });
      const survivor = await openServer();
      const key: SessionKey = { scope: alice, sessionId: "orphan" };
      await dying.buffer.append(key, [turn("o1", 1)], { metadata: {} });
      expect(await dying.buffer.idleSessions(Date.now() + 1)).toEqual([key]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await survivor.buffer.idleSessions(Date.now() + 1)).toEqual([key]);
    });

    it("runs the work on one session on one server at a time, and other sessions meanwhile", async () => {
      schema = freshSchema();
      const servers = [await openServer(), await openServer()];
      const key: SessionKey = { scope: alice, sessionId: "locked" };
      const other: SessionKey = { scope: alice, sessionId: "free" };
      let inside = 0;
      let most = 0;
      const log: string[] = [];
      const work = (name: string) => async () => {
        inside += 1;
        most = Math.max(most, inside);
        log.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        log.push(`${name} out`);
        inside -= 1;
      };
      let otherRanInside = false;
      await Promise.all([
        servers[0]!.sessionLocks.run(key, async () => {
          await work("a1")();
        }),
        servers[1]!.sessionLocks.run(key, work("b1")),
        servers[0]!.sessionLocks.run(key, work("a2")),
        servers[1]!.sessionLocks.run(key, work("b2")),
        servers[1]!.sessionLocks.run(other, async () => {
          otherRanInside = inside > 0;
        }),
      ]);
      expect(most).toBe(1);
      for (let i = 0; i < log.length; i += 2) expect(log[i]!.replace(" in", "")).toBe(log[i + 1]!.replace(" out", ""));
      expect(otherRanInside).toBe(true);
    });

    it("releases a dead server's session locks with its connection", async () => {
      schema = freshSchema();
      const dying = await openServer();
      const survivor = await openServer();
      const key: SessionKey = { scope: alice, sessionId: "crash" };
      let release: () => void = () => undefined;
      const held = dying.sessionLocks.run(key, () => new Promise<void>((resolve) => (release = resolve)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      let ran = false;
      const waiting = survivor.sessionLocks.run(key, async () => {
        ran = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ran).toBe(false);
      // The lock connection ends as it would when the process is killed.
      await dying.sessionLocks.close();
      await waiting;
      expect(ran).toBe(true);
      release();
      await held;
    });

    it("shares the parse cache between servers", async () => {
      schema = freshSchema();
      const [a, b] = [await openServer(), await openServer()];
      await a.parseCache.put("sha:pdf", "pdf-text-layer", "shared text");
      expect(await b.parseCache.get("sha:pdf")).toEqual({ parser: "pdf-text-layer", text: "shared text" });
    });
  },
);

function turn(messageId: string, minute: number): BufferedTurn {
  return { messageId, role: "user", timestamp: Date.UTC(2026, 5, 1, 9, minute), text: `turn ${messageId}` };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
