import { afterEach, describe, expect, it } from "vitest";
import { memoryConfigSchema } from "../../../config/schema.js";
import { REAL_PG_URL, dropSchema, freshSchema, serverHasVector } from "../../../../test/support/postgres-targets.js";
import { PostgresDatabase } from "../../../store/postgres/pg-database.js";
import { storeChecks } from "./store-check.js";

describe("doctor: store", () => {
  it("names the embedded backend and its root", async () => {
    const checks = await storeChecks(memoryConfigSchema.parse({ root: "/tmp/some-root" }));
    expect(checks).toEqual([expect.objectContaining({ name: "store", status: "info", detail: expect.stringMatching(/^embedded: .*\/tmp\/some-root/) })]);
  });

  it("fails an unreachable database with its URL, never the password", async () => {
    const checks = await storeChecks(memoryConfigSchema.parse({ store: { backend: "postgres", url: "postgres://u:secret@127.0.0.1:1/db" } }));
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: "store", status: "fail", detail: expect.stringContaining("CAPABILITY_UNAVAILABLE") });
    expect(checks[0]!.detail).toContain("postgres://u:***@127.0.0.1:1/db");
    expect(JSON.stringify(checks)).not.toContain("secret");
  });
});

describe.skipIf(REAL_PG_URL === undefined)("doctor: store on the real PostgreSQL server (OMNIMEM_TEST_PG_URL)", () => {
  const schemas: string[] = [];
  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(REAL_PG_URL!, schema);
  });
  const config = (schema: string) => memoryConfigSchema.parse({ store: { backend: "postgres", url: REAL_PG_URL, schema } });

  it("a schema never migrated fails, naming omnimem migrate", async () => {
    const schema = freshSchema();
    schemas.push(schema);
    const [store] = await storeChecks(config(schema));
    expect(store).toMatchObject({ name: "store", status: "fail", fix: "run omnimem migrate" });
  });

  it("a migrated schema connects; pgvector missing from the server is CAPABILITY_UNAVAILABLE naming the vector extension", async () => {
    const schema = freshSchema();
    schemas.push(schema);
    await new PostgresDatabase({ url: REAL_PG_URL!, schema }).migrate();
    const checks = await storeChecks(config(schema));
    expect(checks[0]).toMatchObject({ name: "store", status: "ok" });
    const pgvector = checks.find((item) => item.name === "pgvector");
    if (await serverHasVector(REAL_PG_URL)) {
      expect(pgvector).toMatchObject({ status: "ok" });
    } else {
      expect(pgvector).toMatchObject({ status: "fail", detail: expect.stringMatching(/^CAPABILITY_UNAVAILABLE: .*"vector"/), fix: expect.stringContaining("CREATE EXTENSION vector") });
    }
  });
});
