/**
 * Two `omnimem serve` processes on one PostgreSQL database (issue 14): started together on a
 * fresh schema (the migration runs once), 20 clients adding turns to shared sessions through both,
 * a search through one server right after an add through the other, an idle session flushed by
 * exactly one of them, and one server SIGKILLed in the middle of a load while the other serves on.
 *
 * Runs against the real server .ci/postgres.sh starts (OMNIMEM_TEST_PG_URL). Debian's PostgreSQL
 * has no pgvector, so there the servers run keyword-only (`[store] vectors = false`); what is
 * tested here (buffers, session locks, idle claims, one transaction per write) does not depend on
 * vectors, and the pgvector statements run against PGlite in src/store/backends.test.ts.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../src/store/postgres/migrations.js";
import { REAL_PG_URL, dropSchema, freshSchema, serverHasVector } from "./support/postgres-targets.js";
import { postJson, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const OWNER = "team";
const IDLE_FLUSH_SECONDS = 2;
const CLIENTS = 20;
const TURNS_PER_CLIENT = 10;

/** A token that appears in exactly one turn's text and nowhere else. */
const tokenOf = (run: string, client: number, turn: number) => `[${run}-c${String(client).padStart(2, "0")}-t${String(turn).padStart(2, "0")}]`;

describe.skipIf(REAL_PG_URL === undefined)(
  `two omnimem serve processes on one PostgreSQL database${REAL_PG_URL === undefined ? " (skipped: OMNIMEM_TEST_PG_URL is not set; .ci/postgres.sh start sets it)" : ""}`,
  () => {
    const schema = freshSchema();
    let roots: string[] = [];
    let a: ServeProcess;
    let b: ServeProcess;

    const add = (server: ServeProcess, sessionId: string, content: string, sync = false) =>
      postJson(`${server.url}/api/v1/memory/add`, {
        user_id: OWNER,
        session_id: sessionId,
        messages: [{ sender_id: OWNER, role: "user", timestamp: Date.now(), content }],
        ...(sync ? { sync: true } : {}),
      });
    const flush = (server: ServeProcess, sessionId: string) => postJson(`${server.url}/api/v1/memory/flush`, { user_id: OWNER, session_id: sessionId });

    /** Every episode of the owner, page by page, as text. */
    async function episodeTexts(server: ServeProcess): Promise<string[]> {
      const texts: string[] = [];
      for (let page = 1; ; page++) {
        const { status, body } = await postJson(`${server.url}/api/v1/memory/get`, { user_id: OWNER, memory_type: "episode", page, page_size: 100, sort_order: "asc" });
        expect(status, JSON.stringify(body)).toBe(200);
        texts.push(...body.data.episodes.map((episode: { memory?: string; episode?: string }) => episode.episode ?? episode.memory ?? ""));
        if (body.data.episodes.length < 100) return texts;
      }
    }

    /** How many episodes hold each token (a lost turn: 0; a turn in two episodes: 2). */
    async function episodesPerToken(server: ServeProcess, tokens: readonly string[]): Promise<Map<string, number>> {
      const texts = await episodeTexts(server);
      return new Map(tokens.map((token) => [token, texts.filter((text) => text.includes(token)).length]));
    }

    beforeAll(async () => {
      const vectors = await serverHasVector(REAL_PG_URL);
      const env = {
        OMNIMEM_STORE__BACKEND: "postgres",
        OMNIMEM_STORE__URL: REAL_PG_URL!,
        OMNIMEM_STORE__SCHEMA: schema,
        OMNIMEM_STORE__VECTORS: String(vectors),
        OMNIMEM_BOUNDARY__IDLE_FLUSH_SECONDS: String(IDLE_FLUSH_SECONDS),
        OMNIMEM_LOG_LEVEL: "info",
      };
      roots = await Promise.all([makeTempRoot("omnimem-pg-a-"), makeTempRoot("omnimem-pg-b-")]);
      // Both start at the same moment on an empty schema: each applies pending migrations at open.
      [a, b] = (await Promise.all(roots.map((root) => startServe(root, env, [], 90_000)))) as [ServeProcess, ServeProcess];
    }, 120_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await dropSchema(REAL_PG_URL!, schema);
      await Promise.all(roots.map((root) => removeTempRoot(root)));
    });

    it("applies the schema once when both servers start on an empty database together", async () => {
      const client = new pg.Client({ connectionString: REAL_PG_URL });
      await client.connect();
      try {
        const { rows } = await client.query<{ version: number }>(`SELECT version FROM "${schema}".omnimem_migrations ORDER BY version`);
        expect(rows.map((row) => Number(row.version))).toEqual(MIGRATIONS.map((migration) => migration.version));
      } finally {
        await client.end();
      }
    });

    it("20 clients adding to the same sessions through both servers: every turn lands in exactly one episode", async () => {
      const sessions = ["shared-1", "shared-2", "shared-3", "shared-4"];
      const tokens: string[] = [];
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          for (let turn = 0; turn < TURNS_PER_CLIENT; turn++) {
            const token = tokenOf("load", client, turn);
            // Each client alternates servers; the sessions are shared by every client.
            const server = (client + turn) % 2 === 0 ? a : b;
            const { status, body } = await add(server, sessions[(client + turn) % sessions.length]!, `Status update ${token} from client ${client}`);
            expect(status, JSON.stringify(body)).toBe(200);
            tokens.push(token);
          }
        }),
      );
      expect(tokens).toHaveLength(CLIENTS * TURNS_PER_CLIENT);
      for (const [i, sessionId] of sessions.entries()) expect((await flush(i % 2 === 0 ? a : b, sessionId)).status).toBe(200);
      const counts = await episodesPerToken(a, tokens);
      const wrong = [...counts].filter(([, count]) => count !== 1);
      expect(wrong, `turns not in exactly one episode: ${JSON.stringify(wrong.slice(0, 10))}`).toEqual([]);
    }, 180_000);

    it("a search through server B right after an add through server A finds it", async () => {
      const added = await add(a, "handover", "The quarterly budget review moved to Thursday at the Lisbon office", true);
      expect(added.status).toBe(200);
      const episode = added.body.data.memories.find((memory: { kind: string }) => memory.kind === "episode");
      expect(episode).toBeDefined();
      for (const method of ["keyword", "hybrid"]) {
        const { status, body } = await postJson(`${b.url}/api/v1/memory/search`, { user_id: OWNER, query: "Lisbon budget review", method });
        expect(status, method).toBe(200);
        expect(body.data.episodes.map((hit: { id: string }) => hit.id), method).toContain(episode.id);
      }
    }, 60_000);

    it("an idle session is flushed by exactly one of the two servers", async () => {
      const tokens = [0, 1, 2, 3].map((turn) => tokenOf("idle", 0, turn));
      for (const [turn, token] of tokens.entries()) {
        const { status, body } = await add(turn % 2 === 0 ? a : b, "idle-session", `Reminder ${token}: water the plants`);
        expect(status).toBe(200);
        expect(body.data.status).toBe("accumulated");
      }
      // Both servers scan for idle sessions every half second; wait until one has flushed, then
      // several scans more, so that a second flush would have happened if the claim allowed it.
      const deadline = Date.now() + 30_000;
      while ([...(await episodesPerToken(b, tokens)).values()].some((count) => count === 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await new Promise((resolve) => setTimeout(resolve, IDLE_FLUSH_SECONDS * 2_000));
      expect([...(await episodesPerToken(b, tokens)).values()]).toEqual([1, 1, 1, 1]);
      const flushedBy = [a, b].map((server) => server.stderr().split("\n").filter((line) => line.includes("idle session flushed") && line.includes("idle-session")).length);
      expect(flushedBy.reduce((sum, n) => sum + n, 0), `idle flushes logged by A and B: ${flushedBy.join(", ")}`).toBe(1);
    }, 60_000);

    it("SIGKILL of one server in the middle of a load loses no acknowledged turn, and the other serves on", async () => {
      const sessions = ["kill-1", "kill-2", "kill-3"];
      const acknowledged: string[] = [];
      const refusedByB: string[] = [];
      let sent = 0;
      let killed = false;
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          for (let turn = 0; turn < TURNS_PER_CLIENT; turn++) {
            const token = tokenOf("kill", client, turn);
            // Halfway through the load, A dies without warning.
            if (++sent === (CLIENTS * TURNS_PER_CLIENT) / 2 && !killed) {
              killed = true;
              a.child.kill("SIGKILL");
            }
            const server = !killed && (client + turn) % 2 === 0 ? a : b;
            try {
              const { status } = await add(server, sessions[(client + turn) % sessions.length]!, `Deploy log ${token} from client ${client}`);
              if (status === 200) acknowledged.push(token);
              else if (server === b) refusedByB.push(`${token}: ${status}`);
            } catch (error) {
              // A connection A dropped as it died: not acknowledged, so the client may not count it.
              if (server === b) refusedByB.push(`${token}: ${(error as Error).message}`);
            }
          }
        }),
      );
      expect(killed).toBe(true);
      expect((await a.exited).signal).toBe("SIGKILL");
      expect(refusedByB).toEqual([]);
      expect(acknowledged.length).toBeGreaterThanOrEqual((CLIENTS * TURNS_PER_CLIENT) / 2);
      // A's session locks died with its connections: B can flush every session, A's turns too.
      for (const sessionId of sessions) expect((await flush(b, sessionId)).status).toBe(200);
      const counts = await episodesPerToken(b, acknowledged);
      const wrong = [...counts].filter(([, count]) => count !== 1);
      expect(wrong, `acknowledged turns not in exactly one episode: ${JSON.stringify(wrong.slice(0, 10))}`).toEqual([]);
      const { status } = await postJson(`${b.url}/api/v1/memory/search`, { user_id: OWNER, query: "Deploy log", method: "keyword" });
      expect(status).toBe(200);
    }, 180_000);
  },
);
