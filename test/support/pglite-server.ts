import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface PgliteServer {
  /** A `postgres://` URL the `pg` driver connects to, as to any PostgreSQL server. */
  url: string;
  stop(): Promise<void>;
}

const modules = join(import.meta.dirname, "..", "..", "node_modules");
const pgliteVersion = (JSON.parse(readFileSync(join(modules, "@electric-sql", "pglite", "package.json"), "utf8")) as { version: string }).version;
/**
 * A freshly initialised data folder, kept between runs: PGlite's initdb (in WebAssembly) takes
 * seconds, loading its result a fraction of that. Named by PGlite's version, so an upgrade makes
 * a new one. Under node_modules/.cache, where tools keep such things (a clean clone starts without).
 */
const TEMPLATE = join(modules, ".cache", "omnimem", `pglite-${pgliteVersion}-datadir.tar.gz`);

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
  const db = await createFromTemplate();
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

async function createFromTemplate(): Promise<PGlite> {
  const saved = await readFile(TEMPLATE).catch(() => undefined);
  if (saved !== undefined) return PGlite.create({ extensions: { vector }, loadDataDir: new Blob([saved]) });
  const db = await PGlite.create({ extensions: { vector } });
  const dump = await db.dumpDataDir("gzip");
  await mkdir(join(TEMPLATE, ".."), { recursive: true });
  // Written aside and renamed: test files starting at once never read a half-written one.
  const partial = `${TEMPLATE}.${process.pid}.partial`;
  await writeFile(partial, new Uint8Array(await dump.arrayBuffer()));
  await rename(partial, TEMPLATE);
  return db;
}
