/**
 * The behaviour every SessionBuffer (and parse cache) must show, whichever backend keeps them.
 * A backend's test calls these with a factory for fresh, empty ones.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ParseCache } from "../spec/parse-cache.js";
import type { BufferedTurn, SessionBuffer, SessionKey } from "../spec/session-buffer.js";
import type { Scope } from "../spec/types.js";

export interface SessionBufferConformanceFactory {
  /** A fresh, empty buffer, ready to use, and how to put it away. */
  create(): Promise<{ buffer: SessionBuffer; close(): Promise<void> }>;
}

export interface ParseCacheConformanceFactory {
  create(): Promise<{ cache: ParseCache; close(): Promise<void> }>;
}

const alice: Scope = { appId: "default", projectId: "default", ownerType: "user", ownerId: "alice" };
const bob: Scope = { ...alice, ownerId: "bob" };
const start = Date.UTC(2026, 5, 1, 9);

function turn(messageId: string, minute: number, text = `turn ${messageId}`, extra: Partial<BufferedTurn> = {}): BufferedTurn {
  return { messageId, role: "user", timestamp: start + minute * 60_000, text, ...extra };
}

export function describeSessionBufferConformance(name: string, factory: SessionBufferConformanceFactory): void {
  describe(`SessionBuffer conformance: ${name}`, () => {
    let buffer: SessionBuffer;
    let close: () => Promise<void>;
    const key: SessionKey = { scope: alice, sessionId: "chat-1" };
    const context = { userId: "alice", metadata: { channel: "web" } };

    beforeEach(async () => {
      ({ buffer, close } = await factory.create());
    });
    afterEach(async () => {
      await close();
    });

    it("buffers each turn once, oldest first, with its sender", async () => {
      const appended = await buffer.append(key, [turn("m2", 2), turn("m1", 1, "hello", { senderId: "alice@example.com" }), turn("m2", 2)], context);
      expect(appended.map((t) => t.messageId)).toEqual(["m2", "m1"]);
      expect(await buffer.append(key, [turn("m1", 1, "hello", { senderId: "alice@example.com" }), turn("m3", 3)], context)).toEqual([turn("m3", 3)]);
      expect(await buffer.pending(key)).toEqual([turn("m1", 1, "hello", { senderId: "alice@example.com" }), turn("m2", 2), turn("m3", 3)]);
      expect(await buffer.pending({ scope: bob, sessionId: "chat-1" })).toEqual([]);
      expect(await buffer.context(key)).toEqual(context);
      expect(await buffer.context({ scope: bob, sessionId: "chat-1" })).toBeUndefined();
    });

    it("keeps the source parts of a turn (file, parser, model) until it is flushed", async () => {
      const receipt = { type: "image" as const, format: "png", name: "receipt.png", parser: "image/ocr", model: "tesseract.js", sha256: "ab".repeat(32), bytes: 2048 };
      const memo = { type: "audio" as const, format: "wav", parser: "audio/transcription", sha256: "cd".repeat(32), bytes: 96_000 };
      const withFiles = turn("m1", 1, "[image: receipt.png]\nTOTAL 42", { sourceParts: [receipt, memo] });
      await buffer.append(key, [withFiles, turn("m2", 2)], context);
      expect(await buffer.pending(key)).toEqual([withFiles, turn("m2", 2)]);
    });

    it("forgets flushed turns and never buffers them again", async () => {
      await buffer.append(key, [turn("m1", 1), turn("m2", 2), turn("m3", 3)], context);
      await buffer.setJudgedCount(key, 3);
      expect(await buffer.judgedCount(key)).toBe(3);
      await buffer.markFlushed(key, ["m1", "m2"], "episode-1");
      expect((await buffer.pending(key)).map((t) => t.messageId)).toEqual(["m3"]);
      expect(await buffer.judgedCount(key)).toBe(0);
      expect(await buffer.append(key, [turn("m1", 1), turn("m4", 4)], context)).toEqual([turn("m4", 4)]);
      expect((await buffer.pending(key)).map((t) => t.messageId)).toEqual(["m3", "m4"]);
    });

    it("counts failed extraction attempts of the pending turns until they are flushed", async () => {
      await buffer.append(key, [turn("m1", 1)], context);
      expect(await buffer.extractionAttempts(key)).toBe(0);
      expect(await buffer.recordFailedExtraction(key)).toBe(1);
      expect(await buffer.recordFailedExtraction(key)).toBe(2);
      expect(await buffer.extractionAttempts(key)).toBe(2);
      expect(await buffer.extractionAttempts({ scope: bob, sessionId: "chat-1" })).toBe(0);
      await buffer.markFlushed(key, ["m1"], "episode-1");
      expect(await buffer.extractionAttempts(key)).toBe(0);
    });

    it("discards an owner's pending turns (or one run's sessions), and no other owner's", async () => {
      const runTwo: SessionKey = { scope: alice, sessionId: "chat-2" };
      await buffer.append(key, [turn("m1", 1), turn("m2", 2)], context);
      await buffer.append(runTwo, [turn("r1", 1)], { userId: "alice", runId: "run-2", metadata: {} });
      await buffer.append({ scope: bob, sessionId: "chat-1" }, [turn("b1", 1)], context);
      expect(await buffer.discard(alice, "run-2")).toBe(1);
      expect(await buffer.pending(runTwo)).toEqual([]);
      expect(await buffer.pending(key)).toHaveLength(2);
      expect(await buffer.discard(alice)).toBe(2);
      expect(await buffer.pending(key)).toEqual([]);
      expect(await buffer.context(key)).toBeUndefined();
      expect(await buffer.idleSessions(Date.now() + 60_000)).toEqual([{ scope: bob, sessionId: "chat-1" }]);
      expect(await buffer.discard(alice)).toBe(0);
    });

    it("keeps the context of the latest add", async () => {
      await buffer.append(key, [turn("m1", 1)], context);
      const later = { userId: "alice", runId: "run-2", metadata: { channel: "mobile", n: 2, ok: true, none: null } };
      await buffer.append(key, [], later);
      expect(await buffer.context(key)).toEqual(later);
    });

    it("names idle sessions that have pending turns, and the owners buffering a session", async () => {
      const idle: SessionKey = { scope: alice, sessionId: "idle" };
      const empty: SessionKey = { scope: alice, sessionId: "empty" };
      const group: SessionKey = { scope: bob, sessionId: "idle" };
      await buffer.append(idle, [turn("i1", 1)], context);
      await buffer.append(group, [turn("g1", 1)], context);
      await buffer.append(empty, [turn("e1", 1)], context);
      await buffer.markFlushed(empty, ["e1"], "episode-e");
      const before = Date.now() + 1;
      const owners = await buffer.ownersOf("default", "default", "idle");
      expect(owners.map((owner) => owner.scope.ownerId).sort()).toEqual(["alice", "bob"]);
      expect(await buffer.ownersOf("default", "other-project", "idle")).toEqual([]);
      expect(await buffer.idleSessions(Date.now() - 60_000)).toEqual([]);
      const found = await buffer.idleSessions(before);
      expect(found.map((k) => `${k.scope.ownerId}/${k.sessionId}`).sort()).toEqual(["alice/idle", "bob/idle"]);
    });
  });
}

export function describeParseCacheConformance(name: string, factory: ParseCacheConformanceFactory): void {
  describe(`ParseCache conformance: ${name}`, () => {
    it("returns what was put, by key, and the latest put wins", async () => {
      const { cache, close } = await factory.create();
      try {
        expect(await cache.get("sha-1:pdf")).toBeUndefined();
        await cache.put("sha-1:pdf", "pdf-text-layer", "page one");
        await cache.put("sha-2:png", "ocr", "a sign that says 'open'");
        expect(await cache.get("sha-1:pdf")).toEqual({ parser: "pdf-text-layer", text: "page one" });
        await cache.put("sha-1:pdf", "pdf-vision", "page one, better");
        expect(await cache.get("sha-1:pdf")).toEqual({ parser: "pdf-vision", text: "page one, better" });
        expect(await cache.get("sha-2:png")).toEqual({ parser: "ocr", text: "a sign that says 'open'" });
      } finally {
        await close();
      }
    });
  });
}
