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

  it("keeps a read that writes overlapped, with those writes applied in order", async () => {
    const vectors = new ScopeVectors(DIMS, 1 << 20);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const read = rowsOf("alice", 5);
    const slowRead = async () => {
      calls++;
      await gate;
      return read;
    };
    const target = randomVector(3);
    const first = vectors.nearest("alice", target, 3, slowRead);
    // A second query meanwhile shares the same read.
    const second = vectors.nearest("alice", target, 3, slowRead);
    // Written while the read is in flight: a new row, a row that is then deleted, a delete of a
    // row the read returns, and a delete followed by a re-insert.
    vectors.upserted([{ id: "written-meanwhile", scopeKey: "alice", vector: target }]);
    vectors.upserted([{ id: "short-lived", scopeKey: "alice", vector: target }]);
    vectors.removed(["short-lived", "alice-0", "alice-1"]);
    vectors.upserted([{ id: "alice-1", scopeKey: "alice", vector: randomVector(11) }]);
    // Another owner's write does not reach alice.
    vectors.upserted([{ id: "bob-x", scopeKey: "bob", vector: target }]);
    release();
    expect((await first)[0]).toMatchObject({ id: "written-meanwhile" });
    expect((await second)[0]).toMatchObject({ id: "written-meanwhile" });
    expect(calls).toBe(1);
    expect(vectors.heldBytes).toBeGreaterThan(0);
    const held = await vectors.nearest("alice", target, 100, slowRead);
    expect(calls).toBe(1);
    expect(held.map((hit) => hit.id).sort()).toEqual(["alice-1", "alice-2", "alice-3", "alice-4", "written-meanwhile"]);
    expect(held.find((hit) => hit.id === "alice-1")!.score).toBeCloseTo(cosine(randomVector(11), target), 6);
  });

  it("answers with a read that a reset of the index overlapped, but does not keep it", async () => {
    const vectors = new ScopeVectors(DIMS, 1 << 20);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pending = vectors.nearest("alice", randomVector(1), 3, async () => (await gate, rowsOf("alice", 5)));
    vectors.clear();
    release();
    expect(await pending).toHaveLength(3);
    expect(vectors.heldBytes).toBe(0);
  });

  it("returns the same ranking as a full sort, ties broken by id, at any limit", async () => {
    const vectors = new ScopeVectors(DIMS, 1 << 22);
    const rows = [...rowsOf("alice", 300), ...rowsOf("alice", 20, 0).map((row) => ({ ...row, id: `${row.id}-twin` }))];
    const query = randomVector(77);
    const expected = rows
      .map((row) => ({ id: row.id, score: cosine(row.vector, query) }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const limit of [1, 7, 50, 320, 1000]) {
      const hits = await vectors.nearest("alice", query, limit, async () => rows);
      expect(hits.map((hit) => hit.id)).toEqual(expected.slice(0, limit).map((hit) => hit.id));
    }
  });

  it("evicts the least recently searched owners past its budget, and never holds an owner bigger than it", async () => {
    // An owner may take half the budget at most.
    expect(new ScopeVectors(DIMS, 100 * 40).fits(50)).toBe(true);
    expect(new ScopeVectors(DIMS, 100 * 40).fits(51)).toBe(false);
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
    // An owner that grows past half the budget is let go: queries for it go to LanceDB.
    const growing = new ScopeVectors(DIMS, 100 * 40);
    await growing.nearest("g", query, 1, reader(rowsOf("g", 50)).fn);
    expect(growing.heldBytes).toBeGreaterThan(0);
    growing.upserted(rowsOf("g", 1, 50));
    expect(growing.heldBytes).toBe(0);
    // And one read at more than half the budget (though under all of it) is answered, not kept.
    const over = reader(rowsOf("over", 60));
    expect(await growing.nearest("over", query, 2, over.fn)).toHaveLength(2);
    expect(growing.heldBytes).toBe(0);
    const huge = reader(rowsOf("huge", 500));
    const hits = await vectors.nearest("huge", query, 3, huge.fn);
    expect(hits).toHaveLength(3);
    await vectors.nearest("huge", query, 3, huge.fn);
    expect(huge.calls).toBe(2);
  });
});
