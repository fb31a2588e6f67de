import { ValidationError } from "../../spec/errors.js";
import { PostgresDatabase } from "../../store/postgres/pg-database.js";
import { emit, type Output } from "../output.js";

export interface MigrateOptions {
  /** `postgres://...`: the argument, else OMNIMEM_STORE__URL. */
  url?: string;
  /** The schema omnimem's tables live in: OMNIMEM_STORE__SCHEMA, else public. */
  schema?: string;
}

/**
 * `omnimem migrate [postgres://...]`: applies the PostgreSQL backend's pending schema steps and
 * says which. Servers apply them at start too (under the same advisory lock, so running this
 * beside them is safe); this is for deployments that migrate before rolling servers out.
 */
export async function migrateCommand(options: MigrateOptions, output: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const url = options.url ?? env.OMNIMEM_STORE__URL;
  if (url === undefined || !/^postgres(ql)?:\/\//.test(url)) {
    throw new ValidationError("omnimem migrate needs a PostgreSQL URL: omnimem migrate postgres://user:password@host:5432/database (or OMNIMEM_STORE__URL)", {
      details: { path: "store.url" },
    });
  }
  const schema = options.schema ?? env.OMNIMEM_STORE__SCHEMA;
  const database = new PostgresDatabase({ url, ...(schema === undefined ? {} : { schema }) });
  const report = await database.migrate();
  emit(output, { ...report, schema: database.schema }, () =>
    report.applied.length === 0
      ? `schema "${database.schema}" is up to date (version ${report.version})`
      : `applied ${report.applied.map((version) => `#${version}`).join(", ")} to schema "${database.schema}" (now version ${report.version})`,
  );
  return 0;
}
