/**
 * Why searches slow down while memories are being added (issue 15's load test): LanceDB alone,
 * no omnimem code. A 400-row table with omnimem's kinds of indexes (full text, a btree on the
 * owner column) is queried by 20 concurrent clients (one full-text and one vector query each
 * round, under an owner filter) for 5 s, while a writer appends one row every 250 ms:
 *
 *   npx tsx bench/lance-versions.ts none                  # no writes
 *   npx tsx bench/lance-versions.ts same-handle           # queries on the handle that writes
 *   npx tsx bench/lance-versions.ts second-handle         # queries on a second handle never refreshed
 *   npx tsx bench/lance-versions.ts refresh-every-write   # second handle, checkoutLatest() after each write
 *   npx tsx bench/lance-versions.ts refresh-every-4       # second handle, checkoutLatest() after every 4th write
 *
 * Measured 2026-12-01 (2 cores, quiet): none 348-403 query pairs/s; same-handle 125-158;
 * second-handle 323; refresh-every-write 136; refresh-every-4 196. A query's cost after a new
 * table version (its indexes and fragments loaded again) is what the writes cost the readers, not
 * a lock: a reader that sees fewer versions keeps most of its speed. Not a test.
 */
import * as lancedb from "@lancedb/lancedb";
import { Index, MatchQuery } from "@lancedb/lancedb";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const MODES = ["none", "same-handle", "second-handle", "refresh-every-write", "refresh-every-4"] as const;
const mode = (process.argv[2] ?? "same-handle") as (typeof MODES)[number];
if (!MODES.includes(mode)) throw new Error(`mode must be one of ${MODES.join(", ")}`);
const SECONDS = 5;
const TOPICS = ["planning", "budget", "whiteboard", "roadmap", "hiring", "travel", "garden", "recipes", "music", "fitness"];

const dir = await mkdtemp(join(tmpdir(), "omnimem-lance-versions-"));
try {
  const row = (i: number) => ({
    id: `r${i}`,
    scope_key: `u${i % 50}`,
    text: `note ${i} about the ${TOPICS[i % 10]} discussion`,
    vector: Array.from({ length: 128 }, (_, k) => Math.sin(i * 7 + k)),
  });
  const writer = await (await lancedb.connect(dir)).createTable("t", Array.from({ length: 400 }, (_, i) => row(i)));
  await writer.createIndex("text", { config: Index.fts({ withPosition: false }) });
  await writer.createIndex("scope_key", { config: Index.btree() });
  await writer.optimize();
  const reader = mode === "none" || mode === "same-handle" ? writer : await (await lancedb.connect(dir)).openTable("t");

  const started = performance.now();
  const running = () => performance.now() - started < SECONDS * 1000;
  let writes = 0;
  let pairs = 0;
  const writing = (async () => {
    if (mode === "none") return;
    while (running()) {
      await writer.add([row(1000 + writes++)]);
      if (mode === "refresh-every-write" || (mode === "refresh-every-4" && writes % 4 === 0)) await reader.checkoutLatest();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  await Promise.all(
    Array.from({ length: 20 }, async (_, client) => {
      while (running()) {
        const owner = `scope_key = 'u${client}'`;
        await reader.query().fullTextSearch(new MatchQuery(`${TOPICS[client % 10]} discussion`, "text")).where(owner).select(["id"]).limit(20).toArray();
        const probe = Array.from({ length: 128 }, (_, k) => Math.cos(client + k));
        await reader.vectorSearch(probe).distanceType("cosine").where(owner).select(["id"]).limit(20).bypassVectorIndex().toArray();
        pairs++;
      }
    }),
  );
  await writing;
  console.log(`${mode}: ${(pairs / SECONDS).toFixed(0)} full-text + vector query pairs/s, ${writes} writes`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
