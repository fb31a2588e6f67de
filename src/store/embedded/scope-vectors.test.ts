import { describe, expect, it } from "vitest";
import { ScopeVectors, type ScopeVectorRow } from "./scope-vectors.js";

const DIMS = 8;

function randomVector(seed: number): Float32Array {
  let state = seed * 2654435761;
  return Float32Array.from({ length: DIMS }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  });
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < DIMS; d++) {
    dot += a[d]! * b[d]!;
    na += a[d]! * a[d]!;
    nb += b[d]! * b[d]!;
  }
  return dot / Math.sqrt(na * nb);
}

const rowsOf = (key: string, count: number, from = 0): ScopeVectorRow[] =>
  Array.from({ length: count }, (_, i) => ({ id: `${key}-${from + i}`, scopeKey: key, vector: randomVector(from + i + key.length * 1000) }));

/** A read of the index that counts its calls. */
function reader(rows: ScopeVectorRow[]) {
  const read = { calls: 0, fn: async () => (read.calls++, rows) };
  return read;
}

describe("ScopeVectors", () => {
  it("ranks an owner's rows by cosine, highest first, and reads the owner once", async () => {
    const vectors = new ScopeVectors(DIMS, 1 << 20);
    const rows = rowsOf("alice", 50);
    const read = reader(rows);
    const query = randomVector(999);
    const hits = await vectors.nearest("alice", query, 10, read.fn);
    const expected = rows
      .map((row) => ({ id: row.id, score: cosine(row.vector, query) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    expect(hits!.map((hit) => hit.id)).toEqual(expected.map((hit) => hit.id));
    hits!.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]!.score, 6));
    await vectors.nearest("alice", query, 10, read.fn);
    expect(read.calls).toBe(1);
  });

  it("stays current with the index's writes: inserts, updates and deletes", async () => {
    const vectors = new ScopeVectors(DIMS, 1 << 20);
    const read = reader(rowsOf("alice", 20));
    const target = randomVector(4242);
    await vectors.nearest("alice", target, 5, read.fn);
    vectors.upserted([{ id: "new", scopeKey: "alice", vector: target }]);
    expect((await vectors.nearest("alice", target, 1, read.fn))![0]).toMatchObject({ id: "new" });
    // An update by id replaces the vector; it does not add a row.
    vectors.upserted([{ id: "new", scopeKey: "alice", vector: randomVector(1) }]);
    const afterUpdate = await vectors.nearest("alice", target, 100, read.fn);
    expect(afterUpdate).toHaveLength(21);
    expect(afterUpdate![0]!.id).not.toBe("new");
    vectors.removed(["alice-3", "new"]);
    const afterDelete = await vectors.nearest("alice", target, 100, read.fn);
    expect(afterDelete!.map((hit) => hit.id)).not.toContain("alice-3");
    expect(afterDelete!.map((hit) => hit.id)).not.toContain("new");
    expect(afterDelete).toHaveLength(19);
    // Another owner's write does not reach this owner.
    vectors.upserted([{ id: "bob-x", scopeKey: "bob", vector: target }]);
    expect((await vectors.nearest("alice", target, 100, read.fn))!.map((hit) => hit.id)).not.toContain("bob-x");
    expect(read.calls).toBe(1);
  });

  it("answers with a read that a write overlapped, but does not keep it", async () => {
    const vectors = new ScopeVectors(DIMS, 1 << 20);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const slowRead = async () => {
      calls++;
      await gate;
      return rowsOf("alice", 5);
    };
    const first = vectors.nearest("alice", randomVector(1), 3, slowRead);
    // A second query meanwhile shares the same read.
    const second = vectors.nearest("alice", randomVector(2), 3, slowRead);
    vectors.upserted([{ id: "written-meanwhile", scopeKey: "alice", vector: randomVector(3) }]);
    release();
    expect(await first).toHaveLength(3);
    expect(await second).toHaveLength(3);
    expect(calls).toBe(1);
    expect(vectors.heldBytes).toBe(0);
    await vectors.nearest("alice", randomVector(1), 3, async () => (calls++, rowsOf("alice", 5)));
    expect(calls).toBe(2);
    expect(vectors.heldBytes).toBeGreaterThan(0);
  });

  it("evicts the least recently searched owners past its budget, and never holds an owner bigger than it", async () => {
    expect(new ScopeVectors(DIMS, 100 * 40).fits(100)).toBe(true);
    expect(new ScopeVectors(DIMS, 100 * 40).fits(101)).toBe(false);
    // Room for about 100 rows of 8 float32s plus a float64 norm (40 bytes each).
    const vectors = new ScopeVectors(DIMS, 100 * 40);
    const reads = { a: reader(rowsOf("a", 40)), b: reader(rowsOf("b", 40)), c: reader(rowsOf("c", 40)) };
    const query = randomVector(7);
    await vectors.nearest("a", query, 1, reads.a.fn);
    await vectors.nearest("b", query, 1, reads.b.fn);
    await vectors.nearest("a", query, 1, reads.a.fn);
    await vectors.nearest("c", query, 1, reads.c.fn);
    expect(vectors.heldBytes).toBeLessThanOrEqual(100 * 40);
    // b was the least recently searched when c came in.
    await vectors.nearest("a", query, 1, reads.a.fn);
    await vectors.nearest("b", query, 1, reads.b.fn);
    expect([reads.a.calls, reads.b.calls, reads.c.calls]).toEqual([1, 2, 1]);
    const huge = reader(rowsOf("huge", 500));
    const hits = await vectors.nearest("huge", query, 3, huge.fn);
    expect(hits).toHaveLength(3);
    await vectors.nearest("huge", query, 3, huge.fn);
    expect(huge.calls).toBe(2);
  });
});
