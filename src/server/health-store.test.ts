import { describe, expect, it } from "vitest";
import { EmbeddedBackend } from "../store/embedded/embedded-backend.js";
import { PostgresMemoryBackend } from "../store/postgres/postgres-memory-backend.js";
import { storeCapability } from "./health.js";

describe("/health: the store capability", () => {
  it("names the embedded backend and its root", () => {
    expect(storeCapability(new EmbeddedBackend({ root: "/data/omnimem" }))).toEqual({
      state: "enabled",
      detail: "embedded: markdown, SQLite and LanceDB under /data/omnimem",
    });
  });

  it("names the PostgreSQL database without its password", () => {
    const report = storeCapability(new PostgresMemoryBackend({ url: "postgres://app:hunter2@db.internal:5432/mem", schema: "omnimem" }));
    expect(report).toEqual({ state: "enabled", detail: "postgres: postgres://app:***@db.internal:5432/mem (schema omnimem)" });
  });

  it("a PostgreSQL backend without pgvector (keyword-only) reports vector search as CAPABILITY_UNAVAILABLE naming the extension", () => {
    const report = storeCapability(new PostgresMemoryBackend({ url: "postgres://app:hunter2@db.internal/mem", index: { vectors: false } }));
    expect(report.state).toBe("local");
    expect(report.detail).toMatch(/CAPABILITY_UNAVAILABLE.*"vector"/);
    expect(report.enable).toContain("CREATE EXTENSION vector");
    expect(JSON.stringify(report)).not.toContain("hunter2");
  });
});
