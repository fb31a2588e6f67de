import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface PgliteServer {
  /** A `postgres://` URL the `pg` driver connects to, as to any PostgreSQL server. */
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly, in this process, in memory) with the pgvector
 * extension, served over the PostgreSQL wire protocol on 127.0.0.1: the backend's statements run
 * through the same `pg` driver as in production, against an engine that has pgvector.
 *
 * PGlite is one database session: connections are multiplexed onto it, so session-level locks
 * (advisory locks) are shared by every client. Tests of locking between servers run on a real
 * PostgreSQL server only.
 */
export async function startPgliteServer(): Promise<PgliteServer> {
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 16 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
