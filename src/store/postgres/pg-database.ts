import type pg from "pg";
import { CapabilityUnavailableError, InternalError, ValidationError, isOmnimemError } from "../../spec/errors.js";
import { applyMigrations, type MigrationReport } from "./migrations.js";

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database`; managed services take the same URL. */
  url: string;
  /** Connections in the pool (per process). */
  poolSize?: number;
  /**
   * The schema omnimem's tables live in (created when missing). One database can hold several
   * omnimem deployments, one per schema; the tests use a fresh schema per test.
   */
  schema?: string;
  /** Apply pending migrations at open (default true). False: `open` fails when the schema is behind. */
  migrate?: boolean;
}

/** Schema names become identifiers in SQL (never a literal from input): kept to a strict shape. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export type Queryable = Pick<pg.PoolClient, "query">;

/** node-postgres is imported when a PostgreSQL backend connects: an embedded process never loads it. */
async function loadPg(): Promise<typeof pg> {
  return (await import("pg")).default;
}

/**
 * The pool and the schema, shared by the store, the index, the session buffer and the parse
 * cache of one backend. Each part calls `acquire` in its own `open` and `release` in its
 * `close`: the pool opens (and migrates) with the first and ends with the last, so Memory can
 * keep opening and closing its parts one by one.
 */
export class PostgresDatabase {
  readonly schema: string;
  private pool: pg.Pool | undefined;
  private users = 0;
  private opening: Promise<void> | undefined;

  constructor(private readonly options: PostgresOptions) {
    this.schema = options.schema ?? "public";
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new ValidationError(`store schema must be lower-case letters, digits and _ (got ${JSON.stringify(this.schema)})`, {
        details: { path: "store.schema" },
      });
    }
  }

  async acquire(): Promise<void> {
    this.users += 1;
    try {
      this.opening ??= this.connect();
      await this.opening;
    } catch (error) {
      this.users -= 1;
      if (this.users === 0) this.opening = undefined;
      throw error;
    }
  }

  async release(): Promise<void> {
    if (this.users === 0) return;
    this.users -= 1;
    if (this.users > 0) return;
    const pool = this.pool;
    this.pool = undefined;
    this.opening = undefined;
    await pool?.end();
  }

  /** Applies pending migrations (what `omnimem migrate` runs); safe beside running servers. */
  async migrate(): Promise<MigrationReport> {
    // A connection of its own, so the report names what this call applied (open() migrates too).
    const client = await this.dedicatedClient();
    try {
      return await applyMigrations(client, this.schema);
    } catch (error) {
      throw translate(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async query<Row extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: readonly unknown[] = []): Promise<pg.QueryResult<Row>> {
    try {
      return await this.requirePool().query<Row>(sql, params as unknown[]);
    } catch (error) {
      throw translate(error);
    }
  }

  async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.requirePool().connect();
    } catch (error) {
      throw translate(error);
    }
    let broken = false;
    try {
      return await work(client);
    } catch (error) {
      // A connection that failed mid-protocol must not go back to the pool.
      broken = isConnectionError(error);
      throw translate(error);
    } finally {
      client.release(broken);
    }
  }

  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query("BEGIN");
      try {
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * A connection of its own, outside the pool, for session-level advisory locks: a lock waits
   * and is held on one connection, which must never be one the locked work needs from the pool.
   */
  async dedicatedClient(): Promise<pg.Client> {
    const { Client } = await loadPg();
    const client = new Client(this.connectionConfig());
    client.on("error", () => undefined);
    try {
      await client.connect();
    } catch (error) {
      throw translate(error);
    }
    return client;
  }

  private connectionConfig(): pg.ClientConfig {
    return {
      connectionString: this.options.url,
      // Every connection finds omnimem's tables (and the `vector` type, kept in public) by name.
      options: `-c search_path=${this.schema},public`,
    };
  }

  private async connect(): Promise<void> {
    const { Pool } = await loadPg();
    const pool = new Pool({ ...this.connectionConfig(), max: this.options.poolSize ?? 10 });
    // An idle connection the server dropped emits here; without a listener it would crash the process.
    pool.on("error", () => undefined);
    this.pool = pool;
    try {
      const report = await this.withClient((client) => applyMigrations(client, this.schema, { dryRun: this.options.migrate === false }));
      if (this.options.migrate === false && report.pending.length > 0) {
        throw new CapabilityUnavailableError(
          `the PostgreSQL schema "${this.schema}" is behind this omnimem (pending migrations: ${report.pending.join(", ")}); run \`omnimem migrate\``,
          { details: { pending: report.pending } },
        );
      }
    } catch (error) {
      this.pool = undefined;
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  private requirePool(): pg.Pool {
    if (this.pool === undefined) throw new InternalError("the PostgreSQL store is not open");
    return this.pool;
  }
}

function isConnectionError(error: unknown): boolean {
  if (isOmnimemError(error)) return false;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && (code.startsWith("08") || code.startsWith("57P") || /^E[A-Z]+$/.test(code));
}

/** Errors of our own pass through; a server that cannot be reached says so, without a stack of driver internals. */
export function translate(error: unknown): Error {
  if (isOmnimemError(error)) return error;
  if (error instanceof Error && "code" in error && typeof (error as { code: unknown }).code === "string") {
    const code = (error as { code: string }).code;
    if (["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"].includes(code) || code.startsWith("08")) {
      return new CapabilityUnavailableError(`PostgreSQL is unreachable: ${error.message}`, { cause: error, details: { code } });
    }
    // Wrong password, unknown user or database: the server answered, but not to us.
    if (code.startsWith("28") || code === "3D000") {
      return new CapabilityUnavailableError(`PostgreSQL refused the connection: ${error.message}`, { cause: error, details: { code } });
    }
  }
  // A text past what PostgreSQL's full-text column holds (its tsvector tops out at 1 MB: about
  // 800k characters of varied words) is the caller's input, not a server fault.
  if (error instanceof Error && (error as { code?: unknown }).code === "54000" && /tsvector/.test(error.message)) {
    return new ValidationError(`the text is too long for PostgreSQL's full-text index (${error.message}); split it into smaller memories`, { cause: error, details: { sqlstate: "54000" } });
  }
  if (error instanceof Error && "code" in error && typeof (error as { code: unknown }).code === "string" && /^[0-9A-Z]{5}$/.test((error as { code: string }).code)) {
    return new InternalError(`PostgreSQL: ${error.message}`, { cause: error, details: { sqlstate: (error as { code: string }).code } });
  }
  return error instanceof Error ? error : new InternalError(String(error), { cause: error });
}
