import type { MemoryConfig } from "../../../config/schema.js";
import { isOmnimemError } from "../../../spec/errors.js";
import { PostgresDatabase } from "../../../store/postgres/pg-database.js";
import { withoutPassword } from "../../../store/postgres/postgres-memory-backend.js";
import { check, type DoctorCheck } from "./check.js";

const NAME = "store";
const VECTOR_FIX =
  'enable pgvector in the database: CREATE EXTENSION vector (managed services list "vector" among their extensions; self-hosted: install pgvector on the server first), ' +
  "or set [store] vectors = false (OMNIMEM_STORE__VECTORS=false) for keyword search only";

/**
 * Which backend holds the memories, and for PostgreSQL whether it can: the server answers, the
 * schema is migrated, and the `vector` extension (pgvector) is there. Looks only; changes nothing
 * (no migration, no CREATE EXTENSION).
 */
export async function storeChecks(config: MemoryConfig): Promise<DoctorCheck[]> {
  if (config.store.backend === "embedded") {
    return [check(NAME, "info", `embedded: markdown, SQLite and LanceDB under ${config.root} (one process per root)`)];
  }
  const url = config.store.url!;
  const where = `postgres: ${withoutPassword(url)} (schema ${config.store.schema})`;
  const database = new PostgresDatabase({ url, schema: config.store.schema, poolSize: 1, migrate: false });
  const checks: DoctorCheck[] = [];
  try {
    await database.acquire();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = isOmnimemError(error) ? `${error.code}: ` : "";
    return [check(NAME, "fail", `${where}: ${code}${message}`, /migrate/.test(message) ? "run omnimem migrate" : "check [store] url (OMNIMEM_STORE__URL)")];
  }
  try {
    checks.push(check(NAME, "ok", `${where}: connected, schema up to date`));
    checks.push(config.store.vectors ? await vectorCheck(database) : check("pgvector", "info", "not used: [store] vectors = false, keyword search only (vector search answers CAPABILITY_UNAVAILABLE)"));
  } finally {
    await database.release();
  }
  return checks;
}

/** pgvector: installed in this database, available to install, or missing from the server. */
async function vectorCheck(database: PostgresDatabase): Promise<DoctorCheck> {
  const installed = await database.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
  if (installed.rows.length > 0) return check("pgvector", "ok", `vector extension ${installed.rows[0]!.extversion} enabled`);
  const available = await database.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  if (available.rows.length > 0) {
    return check("pgvector", "ok", "vector extension available; omnimem enables it when the index first opens (needs the right to CREATE EXTENSION)");
  }
  return check(
    "pgvector",
    "fail",
    'CAPABILITY_UNAVAILABLE: the PostgreSQL extension "vector" (pgvector) is not available on this server; omnimem keeps embeddings in pgvector columns',
    VECTOR_FIX,
  );
}
