/**
 * The parser fixes of issue 12 (defect 8) through `omnimem serve` as a child process: an EPUB
 * yields its chapter text, a code page 932 Outlook message its Japanese subject, an e-mail past
 * the MIME part limit its first parts with a warning in the part report, and a truncated PNG an
 * error in the project's words, not libvips'.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { imageWithText } from "./support/fixtures/index.js";
import { emlWithManyAttachments } from "./support/fixtures/eml-many-parts.js";
import { epubWithChapters } from "./support/fixtures/epub.js";
import { msgFile } from "./support/fixtures/msg.js";
import { postJson, startServe, type ServeProcess } from "./support/serve-process.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

let root: string;
let serve: ServeProcess;
let t0 = Date.UTC(2026, 5, 2, 9, 0);

const post = (route: string, body: unknown) => postJson(`${serve.url}/api/v1/memory/${route}`, body);
const turn = (content: unknown) => ({ sender_id: "kenji", role: "user", timestamp: (t0 += 1000), content });

beforeAll(async () => {
  root = await makeTempRoot("omnimem-parsers-");
  // Generous: the child compiles the sources through tsx, slow on a busy 2-core machine.
  serve = await startServe(join(root, "data"), {}, [], 90_000);
}, 120_000);

afterAll(async () => {
  const exit = await serve?.stop();
  await removeTempRoot(root);
  expect(exit?.code).toBe(0);
});

describe("parsers through the HTTP server", () => {
  it("an EPUB sent as a doc with ext epub yields its chapters, in spine order", async () => {
    const epub = await epubWithChapters("Field Notes", [
      { title: "Arrival", paragraphs: ["We reached the glacier camp on the third day."] },
      { title: "The Ice Cores", paragraphs: ["Core 7 showed ash from an eruption in 1783."] },
    ]);
    const { status, body } = await post("add", {
      session_id: "epub",
      messages: [turn([{ type: "doc", base64: b64(epub), ext: "epub", name: "field-notes.epub" }])],
      sync: true,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.data.parts).toEqual([expect.objectContaining({ type: "doc", format: "epub", parse_status: "ok", parser: "epub/markdown" })]);
    const memory = body.data.memories[0].memory as string;
    expect(memory).toContain("We reached the glacier camp on the third day.");
    expect(memory.indexOf("glacier camp")).toBeLessThan(memory.indexOf("Core 7 showed ash"));

    const found = await post("search", { user_id: "kenji", query: "ash from an eruption in the ice core", method: "keyword" });
    expect(found.body.data.episodes.map((episode: { id: string }) => episode.id)).toContain(body.data.memories[0].id);
  });

  it("a code page 932 Outlook message is stored with its Japanese subject and body", async () => {
    const msg = msgFile({
      subject: "来週の打ち合わせについて",
      body: "打ち合わせは水曜日の午後三時からです。",
      senderName: "鈴木一郎",
      senderEmail: "ichiro@example.jp",
      to: { name: "田中", email: "tanaka@example.jp" },
      codePage: 932,
    });
    const { status, body } = await post("add", {
      session_id: "msg-cp932",
      messages: [turn([{ type: "email", base64: b64(msg), ext: "msg", name: "meeting.msg" }])],
      sync: true,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.data.parts[0]).toMatchObject({ format: "msg", parse_status: "ok" });
    const stored = await post("get", { user_id: "kenji", memory_type: "episode", page_size: 50 });
    const texts = (stored.body.data.episodes as { memory?: string; summary?: string; episode?: string }[]).map((episode) => JSON.stringify(episode));
    const episode = texts.find((text) => text.includes("来週の打ち合わせについて"));
    expect(episode, texts.join("\n")).toBeDefined();
    expect(episode).toContain("打ち合わせは水曜日の午後三時からです。");
    expect(episode).toContain("鈴木一郎");
  });

  it("an e-mail past the MIME part limit keeps its body and first attachments, and the part report says what was left out", async () => {
    const eml = emlWithManyAttachments(1050, "Archive scans, part two");
    const { status, body } = await post("add", {
      session_id: "many-parts",
      messages: [turn([{ type: "email", base64: b64(eml), ext: "eml", name: "scans.eml" }])],
      sync: true,
    });
    expect(status, JSON.stringify(body).slice(0, 2000)).toBe(200);
    const [part] = body.data.parts;
    expect(part).toMatchObject({ format: "eml", parse_status: "ok" });
    expect(part.warnings).toEqual([expect.stringMatching(/^\d+ of 1051 MIME parts were left out: the email has more than the limit of 1000 parts/)]);
    const memory = body.data.memories[0].memory as string;
    expect(memory).toContain("All the scans from the basement archive, one file each.");
    expect(memory).toContain("--- attachment: scan-0001.txt ---\nscan number 1");
  });

  it("a truncated PNG answers INVALID_IMAGE in the project's words, without libvips' message", async () => {
    const png = await imageWithText("CUT SHORT");
    const { status, body } = await post("add", {
      session_id: "png",
      messages: [turn([{ type: "image", base64: b64(png.subarray(0, Math.floor(png.length / 2))), ext: "png" }])],
      sync: true,
    });
    expect(status).toBe(415);
    expect(body.error.code).toBe("INVALID_IMAGE");
    expect(body.error.message).toMatch(/the png image is truncated or corrupt/);
    expect(JSON.stringify(body)).not.toMatch(/vips|libpng|read error|unable to write/i);
  });
});
