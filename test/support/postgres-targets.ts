import { randomBytes } from "node:crypto";
import pg from "pg";
import { startPgliteServer, type PgliteServer } from "./pglite-server.js";

/** Where the real PostgreSQL server for the tests is (.ci/postgres.sh starts one and sets it). */
export const REAL_PG_URL = process.env.OMNIMEM_TEST_PG_URL;

/** A PostgreSQL engine the backend's tests run against. */
export interface PostgresTarget {
  name: string;
  /** Set when the target cannot run here, with the reason (its tests are skipped, saying so). */
  unavailable?: string;
  /** Whether the server has pgvector (PGlite does; Debian's PostgreSQL does not). */
  vectors: boolean;
  /** Connections per pool: PGlite multiplexes every connection onto one session, so one. */
  poolSize: number;
  /** Starts the engine when needed; call in beforeAll. */
  start(): Promise<void>;
  stop(): Promise<void>;
  url(): string;
}

export function pgliteTarget(): PostgresTarget {
  let server: PgliteServer | undefined;
  return {
    name: "PGlite + pgvector over the wire protocol",
    vectors: true,
    poolSize: 1,
    async start() {
      server ??= await startPgliteServer();
    },
    async stop() {
      await server?.stop();
      server = undefined;
    },
    url() {
      if (server === undefined) throw new Error("PGlite target not started");
      return server.url;
    },
  };
}

/** `vectors`: whether that server offers pgvector (see `serverHasVector`); Debian's has not. */
export function realPostgresTarget(vectors: boolean): PostgresTarget {
  return {
    name: "PostgreSQL server (OMNIMEM_TEST_PG_URL)",
    ...(REAL_PG_URL === undefined
      ? { unavailable: "OMNIMEM_TEST_PG_URL is not set (.ci/postgres.sh start sets it)" }
      : {}),
    vectors,
    poolSize: 4,
    async start() {},
    async stop() {},
    url() {
      if (REAL_PG_URL === undefined) throw new Error("OMNIMEM_TEST_PG_URL is not set");
      return REAL_PG_URL;
    },
  };
}

/** A schema name no other test uses: each test gets an empty database of its own, cheaply. */
export function freshSchema(): string {
  return `omnimem_test_${randomBytes(6).toString("hex")}`;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Whether the server at `url` offers the `vector` extension (undefined url: false). */
export async function serverHasVector(url: string | undefined): Promise<boolean> {
  if (url === undefined) return false;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).rows.length > 0;
  } finally {
    await client.end();
  }
}
