import { afterEach, describe, expect, it } from "vitest";
import { migrateCommand } from "../src/cli/commands/migrate.js";
import { outputFor } from "../src/cli/output.js";
import { MIGRATIONS } from "../src/store/postgres/migrations.js";
import { jsonOf, omnimem } from "./support/cli-process.js";
import { REAL_PG_URL, dropSchema, freshSchema } from "./support/postgres-targets.js";

interface MigrateReport {
  applied: number[];
  version: number;
  schema: string;
}

describe.skipIf(REAL_PG_URL === undefined)(
  `omnimem migrate${REAL_PG_URL === undefined ? " (skipped: OMNIMEM_TEST_PG_URL is not set; .ci/postgres.sh start sets it)" : ""}`,
  () => {
    const schema = freshSchema();
    afterEach(() => dropSchema(REAL_PG_URL!, schema));

    it("applies the schema once when two processes migrate one database at the same moment", async () => {
      const env = { OMNIMEM_STORE__SCHEMA: schema };
      const runs = await Promise.all([0, 1].map(() => omnimem(["migrate", REAL_PG_URL!, "--json"], { env, timeoutMs: 120_000 })));
      for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 0 });
      const reports = runs.map((run) => jsonOf<MigrateReport>(run));
      const latest = MIGRATIONS.at(-1)!.version;
      expect(reports.flatMap((report) => report.applied)).toEqual(MIGRATIONS.map((migration) => migration.version));
      expect(reports.map((report) => [report.schema, report.version])).toEqual([[schema, latest], [schema, latest]]);
      const again = await omnimem(["migrate", REAL_PG_URL!], { env });
      expect(again.stdout).toContain(`schema "${schema}" is up to date (version ${latest})`);
    }, 180_000);

    it("says what it needs without a URL, and names an unreachable server", async () => {
      const output = outputFor({ json: true });
      await expect(migrateCommand({}, output, {})).rejects.toMatchObject({ code: "INVALID_INPUT", message: expect.stringContaining("needs a PostgreSQL URL") });
      await expect(migrateCommand({ url: "postgres://postgres@127.0.0.1:1/postgres" }, output, {})).rejects.toMatchObject({
        code: "CAPABILITY_UNAVAILABLE",
        message: expect.stringContaining("PostgreSQL is unreachable"),
      });
    });
  },
);
