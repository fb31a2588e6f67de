import { createServer, type Server } from "node:http";
import { writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Memory, type MemoryOptions } from "../src/index.js";
import { imageWithText, pdfWithTextLayer } from "./support/fixtures/index.js";
import { docxWithText, emlWithAttachment, htmlPage, wavTone } from "./support/fixtures/documents.js";
import { startFakeOpenAI, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

describe("multimodal add, local parsers (no model)", () => {
  let root: string;
  let memory: Memory;
  let files: Server;
  let filesUrl: string;
  let whiteboard: Uint8Array;

  beforeAll(async () => {
    whiteboard = await imageWithText("LAUNCH RISKS PAYMENTS", { format: "png" });
    const pdf = pdfWithTextLayer(["Quarterly planning memo", "Budget approved for the Lisbon offsite"]);
    files = createServer((request, response) => {
      if (request.url === "/whiteboard.png") response.writeHead(200, { "content-type": "image/png" }).end(whiteboard);
      else if (request.url === "/memo.pdf") response.writeHead(200, { "content-type": "application/pdf" }).end(pdf);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => files.close(() => resolve())));

  beforeEach(async () => {
    root = await makeTempRoot();
    // The data in a folder of its own: file:// never reads the memory's root, and the test's files sit beside it.
    memory = await Memory.open({ root: join(root, "data"), logLevel: "silent", multimodal: { allowPrivateHosts: true } });
  });
  afterEach(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  it("OCRs an image sent Mem0-style by URL and finds it by search", async () => {
    const result = await memory.add(
      [{ role: "user", content: [{ type: "text", text: "Photo of the whiteboard" }, { type: "image_url", image_url: { url: `${filesUrl}/whiteboard.png` } }] }],
      { userId: "alice", infer: false },
    );
    expect(result.parts).toEqual([expect.objectContaining({ messageIndex: 0, itemIndex: 1, type: "image", format: "png", parseStatus: "ok", parser: "image/ocr" })]);
    expect(result.results[0]!.memory).toMatch(/LAUNCH RISKS/i);
    const { results } = await memory.search("launch risks payments", { userId: "alice" });
    expect(results[0]?.id).toBe(result.results[0]!.id);
  }, 30_000);

  it("reads an inline PDF (EverOS base64 + ext), and says when a declared type was wrong", async () => {
    const pdf = pdfWithTextLayer(["Offsite planning: Lisbon in June"]);
    const result = await memory.add(
      [{ role: "user", content: [{ type: "image", base64: b64(pdf), ext: "png", name: "scan.png" }] }],
      { userId: "alice", infer: false },
    );
    expect(result.parts[0]).toMatchObject({ type: "pdf", declaredType: "image", format: "pdf", parser: "pdf/text-layer" });
    expect(result.results[0]!.memory).toContain("Lisbon in June");
    expect((await memory.search("Lisbon offsite", { userId: "alice", method: "keyword" })).results).toHaveLength(1);
  });

  it("reads a PDF by file:// and raw bytes from library callers", async () => {
    const path = join(root, "memo.pdf");
    await writeFile(path, pdfWithTextLayer(["The dentist moved to Tuesdays"]));
    const result = await memory.add(
      [
        { role: "user", content: [{ type: "pdf", uri: `file://${path}` }] },
        { role: "user", content: [{ type: "pdf", data: pdfWithTextLayer(["Raw bytes arrive too"]) }] },
      ],
      { userId: "alice", infer: false },
    );
    expect(result.results.map((r) => r.memory).join("\n")).toMatch(/dentist moved to Tuesdays[\s\S]*Raw bytes arrive too/);
  });

  it("aborts the whole batch with 415 on a bad part, writing nothing", async () => {
    await expect(
      memory.add(
        [
          { role: "user", content: "this text must not be stored" },
          { role: "user", content: [{ type: "image", base64: b64(new TextEncoder().encode("definitely not an image")), ext: "png" }] },
        ],
        { userId: "alice", infer: false },
      ),
    ).rejects.toMatchObject({ code: "INVALID_IMAGE", httpStatus: 415 });
    await expect(
      memory.add([{ role: "user", content: [{ type: "image", base64: b64(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3])) }] }], {
        userId: "alice",
        infer: false,
      }),
    ).rejects.toMatchObject({ code: "INVALID_IMAGE", httpStatus: 415 });
    await expect(
      memory.add([{ role: "user", content: [{ type: "image", base64: "%%%not base64%%%" }] }], { userId: "alice", infer: false }),
    ).rejects.toMatchObject({ httpStatus: 422 });
    await expect(
      memory.add([{ role: "user", content: [{ type: "pdf", text: "only text" }] }], { userId: "alice", infer: false }),
    ).rejects.toMatchObject({ code: "UNSUPPORTED_FORMAT" });
    expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
  });

  it("reads an email with a PDF attachment, a docx and an HTML page, each through the registry", async () => {
    const eml = await emlWithAttachment({
      subject: "Venue contract",
      body: "Hi Alice, the signed contract is attached.",
      attachments: [{ filename: "contract.pdf", contentType: "application/pdf", content: pdfWithTextLayer(["Deposit due on 1 July"]) }],
    });
    const docx = await docxWithText(["Packing list: tent, stove, headlamp"]);
    const html = htmlPage({ title: "Trail report", content: "<p>The north trail is closed after the storm.</p>" });
    const result = await memory.add(
      [
        {
          role: "user",
          content: [
            { type: "email", base64: b64(eml), name: "venue.eml" },
            { type: "doc", base64: b64(docx), ext: "docx" },
            { type: "html", base64: b64(new TextEncoder().encode(html)) },
          ],
        },
      ],
      { userId: "alice", infer: false },
    );
    expect(result.parts.map((part) => [part.type, part.parseStatus])).toEqual([
      ["email", "ok"],
      ["doc", "ok"],
      ["html", "ok"],
    ]);
    const text = result.results[0]!.memory;
    expect(text).toContain("Subject: Venue contract");
    expect(text).toContain("Deposit due on 1 July");
    expect(text).toContain("Packing list: tent, stove, headlamp");
    expect(text).toContain("north trail is closed");
    expect(text).not.toContain("SCRIPT-SECRET");
    expect((await memory.search("deposit contract", { userId: "alice" })).results).toHaveLength(1);
  });

  it("refuses audio with CAPABILITY_UNAVAILABLE when nothing can transcribe it", async () => {
    const noSpeechRoot = await makeTempRoot();
    const noSpeech = await Memory.open({ root: noSpeechRoot, logLevel: "silent", parsingModels: {} });
    await expect(
      noSpeech.add([{ role: "user", content: [{ type: "audio", base64: b64(wavTone(0.5)), ext: "wav" }] }], { userId: "alice", infer: false }),
    ).rejects.toMatchObject({ code: "CAPABILITY_UNAVAILABLE", httpStatus: 415 });
    await noSpeech.close();
    await removeTempRoot(noSpeechRoot);
  });

  it("refuses loopback URLs unless private hosts are allowed", async () => {
    const strictRoot = await makeTempRoot();
    const strict = await Memory.open({ root: strictRoot, logLevel: "silent" });
    await expect(
      strict.add([{ role: "user", content: [{ type: "image_url", image_url: { url: `${filesUrl}/whiteboard.png` } }] }], { userId: "alice", infer: false }),
    ).rejects.toMatchObject({ code: "URI_REJECTED" });
    await strict.close();
    await removeTempRoot(strictRoot);
  });
});

describe("multimodal add with a vision model", () => {
  let server: FakeOpenAIServer;
  let root: string;
  let memory: Memory;

  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => server.close());
  beforeEach(async () => {
    server.reset();
    root = await makeTempRoot();
    memory = await Memory.open({
      root,
      logLevel: "silent",
      multimodal: { baseUrl: server.baseURL, model: "fake-vision", maxRetries: 1, retryBaseDelayMs: 5, ocr: false },
    } as MemoryOptions);
  });
  afterEach(async () => {
    await memory.close();
    await removeTempRoot(root);
  });

  it("sends the image as an image part, once per distinct image", async () => {
    server.chat.enqueue("A whiteboard listing three launch risks: payments, onboarding, EU data rules.");
    const image = await imageWithText("RISKS", { format: "jpg" });
    const dataUri = `data:image/jpeg;base64,${b64(image)}`;
    const first = await memory.add([{ role: "user", content: { type: "image_url", image_url: { url: dataUri } } }], { userId: "alice", infer: false });
    expect(first.parts[0]).toMatchObject({ parser: "image/vision", parseStatus: "ok", cached: false });
    const [request] = server.chatRequests();
    const parts = JSON.stringify(request!.messages);
    expect(parts).toContain('"type":"image_url"');
    expect(parts).toContain("data:image/png;base64,");
    expect(request!.model).toBe("fake-vision");
    // The same image again is answered from the parse cache.
    const second = await memory.add([{ role: "user", content: { type: "image_url", image_url: { url: dataUri } } }], { userId: "alice", infer: false });
    expect(second.parts[0]).toMatchObject({ cached: true });
    expect(server.chatRequests()).toHaveLength(1);
    expect((await memory.search("whiteboard launch risks", { userId: "alice" })).results).toHaveLength(2);
  });

  it("transcribes audio through the transcription endpoint (OpenAI input_audio part)", async () => {
    await memory.close();
    memory = await Memory.open({
      root,
      logLevel: "silent",
      multimodal: { baseUrl: server.baseURL, transcriptionModel: "whisper-1", maxRetries: 1, retryBaseDelayMs: 5, ocr: false },
    });
    server.transcriptions.enqueue("Remind me to call the plumber on Monday");
    const result = await memory.add(
      [{ role: "user", content: [{ type: "input_audio", input_audio: { data: b64(wavTone(1)), format: "wav" } }] }],
      { userId: "alice", infer: false },
    );
    expect(result.parts[0]).toMatchObject({ type: "audio", parser: "audio/transcription", parseStatus: "ok" });
    expect(result.results[0]!.memory).toContain("call the plumber on Monday");
    const [request] = server.requestsTo("/audio/transcriptions");
    expect(request!.body).toMatchObject({ fields: { model: "whisper-1" } });
  });

  it("marks an item failed when the model keeps failing, and keeps the rest of the batch", async () => {
    server.failNext("chat", { status: 500 }, 2);
    const image = await imageWithText("FAIL", { format: "png" });
    const result = await memory.add(
      [{ role: "user", content: [{ type: "text", text: "Receipt from the bakery" }, { type: "image", base64: b64(image) }] }],
      { userId: "alice", infer: false },
    );
    expect(result.parts[0]).toMatchObject({ parseStatus: "failed", error: { code: "PROVIDER_ERROR" } });
    expect(result.results[0]!.memory).toBe("Receipt from the bakery");
  });
});
