import { Field, FixedSizeList, Float32, Float64, List, Schema, Utf8 } from "apache-arrow";
import { describe, expect, it } from "vitest";

import { rowsToTable } from "./arrow-rows.js";

const schema = new Schema([
  new Field("id", new Utf8(), false),
  new Field("user_id", new Utf8(), true),
  new Field("ts", new Float64(), false),
  new Field("meta_kv", new List(new Field("item", new Utf8(), true)), false),
  new Field("vector", new FixedSizeList(3, new Field("item", new Float32(), true)), false),
]);

describe("rowsToTable", () => {
  it("builds every column of the schema, nulls, lists and vectors included", () => {
    const table = rowsToTable(
      [
        { id: "a", user_id: "u1", ts: 1.5, meta_kv: ["k=v", "x=y"], vector: new Float32Array([0.1, 0.2, 0.3]) },
        { id: "b", user_id: null, ts: 2, meta_kv: [], vector: new Float32Array([1, 0, -1]) },
      ],
      schema,
    );
    expect(table.numRows).toBe(2);
    expect(table.schema.fields.map((field) => [field.name, field.nullable])).toEqual(schema.fields.map((field) => [field.name, field.nullable]));
    const rows = table.toArray().map((row) => row.toJSON() as Record<string, unknown>);
    expect(rows.map((row) => [row["id"], row["user_id"], row["ts"]])).toEqual([["a", "u1", 1.5], ["b", null, 2]]);
    expect(rows.map((row) => [...(row["meta_kv"] as Iterable<string>)])).toEqual([["k=v", "x=y"], []]);
    expect([...(rows[0]!["vector"] as Iterable<number>)]).toEqual([...new Float32Array([0.1, 0.2, 0.3])]);
    expect([...(rows[1]!["vector"] as Iterable<number>)]).toEqual([1, 0, -1]);
  });

  it("refuses a vector of another length than the column's", () => {
    expect(() => rowsToTable([{ id: "a", user_id: null, ts: 0, meta_kv: [], vector: new Float32Array(2) }], schema)).toThrow(/vector of row 0 has 2 values, not 3/);
  });
});
