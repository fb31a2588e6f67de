import { describe, expect, it } from "vitest";
import { compileFilter, whereClause } from "./sql-filter.js";

const alice = { appId: "default", projectId: "default", ownerType: "user" as const, ownerId: "alice" };

describe("filters", () => {
  it("always puts the owner clause outside the filter", () => {
    const filter = { OR: [{ user_id: "bob" }, { session_id: "s" }] };
    expect(whereClause(alice, filter, "lance")).toBe("scope_key = 'default/default/user/alice' AND (((user_id = 'bob') OR (session_id = 's')))");
    expect(whereClause(alice, filter, "sqlite")).toBe(
      "app_id = 'default' AND project_id = 'default' AND owner_type = 'user' AND owner_id = 'alice' AND (((user_id = 'bob') OR (session_id = 's')))",
    );
  });

  it("quotes values so they cannot end the literal", () => {
    expect(compileFilter({ session_id: "x' OR '1'='1" }, "lance")).toBe("session_id = 'x'' OR ''1''=''1'");
    expect(compileFilter({ topic: "a'b" }, "lance")).toBe(`array_has(meta_kv, 'topic="a''b"')`);
    expect(compileFilter({ topic: "a'b" }, "sqlite")).toBe(`EXISTS (SELECT 1 FROM json_each(meta_kv) WHERE json_each.value = 'topic="a''b"')`);
  });

  it("compiles ranges on time fields from numbers and ISO dates", () => {
    expect(compileFilter({ timestamp: { gte: 10, lt: "1970-01-01T00:00:01.000Z" } }, "lance")).toBe("ts >= 10 AND ts < 1000");
    expect(compileFilter({ created_at: { in: [1, 2] } }, "sqlite")).toBe("created_at IN (1, 2)");
  });

  it("refuses what it cannot express safely", () => {
    for (const bad of [
      { "a' OR 1=1 --": "x" },
      { session_id: 5 },
      { timestamp: "yesterday-ish" },
      { session_id: { like: "%" } },
      { topic: { gt: 3 } },
      { AND: "nope" },
      { topic: { nested: { deeper: 1 } } },
      { session_id: "nul\u0000byte" },
    ]) {
      expect(() => compileFilter(bad as never, "lance"), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: "INVALID_INPUT" }));
    }
  });

  it("treats an empty filter as no filter", () => {
    expect(compileFilter({}, "lance")).toBeUndefined();
    expect(compileFilter({ AND: [] }, "lance")).toBeUndefined();
  });
});
