import "./lance-log-level.js";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeTempRoot, removeTempRoot } from "../../../test/support/temp-root.js";
import { LocalEmbedder } from "../../providers/embedding/local-embedder.js";
import type { MemoryRecord, Scope } from "../../spec/types.js";
import { makeRecord } from "../conformance.suite.js";
import { LanceIndex } from "./lance-index.js";
import { CONTEXT_VECTOR_WEIGHT, searchText, withContext } from "./search-text.js";

const embedder = new LocalEmbedder({ dimensions: 32 });
const identity = { model: embedder.model, dimensions: 32 };
const alice: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const doc = (record: MemoryRecord) => ({ record, vector: embedder.embedOne(record.text) });
const turn = (sender: string, text: string, sessionId = "s1") => makeRecord(alice, text, { role: "user", senderId: sender, sessionId });

describe("searchText", () => {
  it("holds the sender, the text and a clipped previous turn", () => {
    expect(searchText({ text: "Adoption agencies.", senderId: "Caroline" }, "What are you researching?")).toBe(
      "Caroline: Adoption agencies.\nWhat are you researching?",
    );
    expect(searchText({ text: "plain" }, undefined)).toBe("plain");
    expect(searchText({ text: "x" }, "word ".repeat(400)).length).toBeLessThanOrEqual(1_002);
  });
});

describe("withContext", () => {
  it("mixes in the previous turn's vector at its weight and keeps unit length", () => {
    const mixed = withContext(Float32Array.from([1, 0]), Float32Array.from([0, 1]));
    const norm = Math.hypot(1, CONTEXT_VECTOR_WEIGHT);
    expect(Array.from(mixed)).toEqual([Math.fround(1 / norm), Math.fround(CONTEXT_VECTOR_WEIGHT / norm)]);
    expect(Array.from(withContext(Float32Array.from([1, 0]), Float32Array.from([1])))).toEqual([1, 0]);
  });
});

describe("what the full-text index holds", () => {
  let root: string;
  let index: LanceIndex;

  beforeEach(async () => {
    root = await makeTempRoot();
    index = new LanceIndex({ directory: join(root, "lance") });
    await index.open(identity);
  });
  afterEach(async () => {
    await index.close();
    await removeTempRoot(root);
  });

  it("finds a turn by its speaker's name and a reply by the question it answers, also across adds", async () => {
    const question = turn("Melanie", "What kind of places are you researching for the kids?");
    const reply = turn("Caroline", "Mostly adoption agencies near Boston.");
    const unrelated = turn("Melanie", "I painted a lake yesterday.", "s2");
    await index.insert([question, reply].map(doc));
    // Added later, alone: its previous turn comes from the table.
    const followUp = turn("Caroline", "They said the waiting list is long.");
    await index.insert([doc(followUp), doc(unrelated)].map((d) => d));
    const byName = await index.keyword("Caroline", { scope: alice, limit: 10 });
    expect(new Set(byName.map((hit) => hit.id))).toEqual(new Set([reply.id, followUp.id]));
    const byQuestion = await index.keyword("researching places", { scope: alice, limit: 10 });
    expect(byQuestion.map((hit) => hit.id)).toContain(reply.id);
    const byPrevious = await index.keyword("adoption agencies", { scope: alice, limit: 10 });
    expect(byPrevious.map((hit) => hit.id)).toEqual(expect.arrayContaining([reply.id, followUp.id]));
  });

  it("after a reopen finds each session's own previous turn, for many sessions in one write", async () => {
    const bob: Scope = { ...alice, ownerId: "bob" };
    const aliceTurn = turn("alice", "We keep bees on the roof.", "shared-id");
    const bobTurn = makeRecord(bob, "My boat needs new sails.", { role: "user", senderId: "bob", sessionId: "shared-id" });
    const aliceOther = turn("alice", "The violin lesson moved to Friday.", "lessons");
    await index.insert([aliceTurn, bobTurn, aliceOther].map(doc));
    await index.close();
    index = new LanceIndex({ directory: join(root, "lance") });
    await index.open(identity);
    // One write: both owners' "shared-id" sessions go on, "lessons" goes on, and a new session starts.
    const aliceNext = turn("alice", "They made honey this summer.", "shared-id");
    const bobNext = makeRecord(bob, "I ordered them yesterday.", { role: "user", senderId: "bob", sessionId: "shared-id" });
    const lessonNext = turn("alice", "Bring the sheet music.", "lessons");
    const fresh = turn("alice", "A brand new topic.", "new-session");
    await index.insert([aliceNext, bobNext, lessonNext, fresh].map(doc));
    const ids = async (scope: Scope, text: string) => (await index.keyword(text, { scope, limit: 10 })).map((hit) => hit.id).sort();
    expect(await ids(alice, "bees roof")).toEqual([aliceTurn.id, aliceNext.id].sort());
    expect(await ids(bob, "boat sails")).toEqual([bobTurn.id, bobNext.id].sort());
    expect(await ids(alice, "violin")).toEqual([aliceOther.id, lessonNext.id].sort());
    // Neither owner's turn became the other's context, nor the new session's.
    expect(await ids(alice, "boat sails")).toEqual([]);
    expect(await ids(alice, "bees roof violin")).not.toContain(fresh.id);
  });

  it("gives no neighbour to memories that are not turns, nor across sessions", async () => {
    const first = turn("alice", "The Lisbon flight leaves at noon.", "trip");
    const otherSession = turn("alice", "Buy milk.", "errands");
    const fact = makeRecord(alice, "Alice likes figs", { kind: "fact", sessionId: "trip" });
    await index.insert([first, otherSession, fact].map(doc));
    const hits = await index.keyword("Lisbon flight", { scope: alice, limit: 10 });
    expect(hits.map((hit) => hit.id)).toEqual([first.id]);
  });

  it("moves a layout-3 index to the new column on open, without a reindex", async () => {
    const reply = turn("Caroline", "Mostly adoption agencies.");
    await index.insert([doc(reply)]);
    await index.close();
    // Make it what an older omnimem wrote: no search_text column, the FTS index on text, layout 3.
    const directory = join(root, "lance");
    const db = await lancedb.connect(directory);
    const table = await db.openTable("memories");
    await table.dropColumns(["search_text"]);
    await table.createIndex("text", { config: lancedb.Index.fts({ withPosition: false }) });
    table.close();
    db.close();
    const identityFile = join(directory, "omnimem-index.json");
    await writeFile(identityFile, JSON.stringify({ ...JSON.parse(await readFile(identityFile, "utf8")), layout: 3 }));

    index = new LanceIndex({ directory });
    await index.open(identity);
    expect((await index.keyword("Caroline agencies", { scope: alice, limit: 5 })).map((hit) => hit.id)).toEqual([reply.id]);
    const later = turn("Caroline", "The waiting list is long.");
    await index.insert([doc(later)]);
    expect((await index.keyword("waiting list", { scope: alice, limit: 5 })).map((hit) => hit.id)).toEqual([later.id]);
    // A fresh process found the previous turn in the table: the later turn is found by its words too.
    expect(new Set((await index.keyword("adoption agencies", { scope: alice, limit: 5 })).map((hit) => hit.id))).toEqual(new Set([reply.id, later.id]));
    expect(JSON.parse(await readFile(identityFile, "utf8")).layout).toBe(4);
  });
});
