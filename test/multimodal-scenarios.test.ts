/**
 * The scenarios users start with, the parsing rows of the error table, every generated format
 * through Memory.add (local parsers and the fake vision model), and a check that no raw byte of
 * a payload reaches the data root.
 */
import { createServer, type Server } from "node:http";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Memory } from "../src/index.js";
import { animatedGifWithText, imageWithText, pdfWithTextLayer, pdfWithoutTextLayer } from "./support/fixtures/index.js";
import {
  docxWithText,
  emlWithAttachment,
  htmlPage,
  odpWithSlides,
  odsWithRows,
  odtWithText,
  pptxWithSlides,
  rtfWithText,
  wavTone,
  xlsxWithRows,
} from "./support/fixtures/documents.js";
import { startFakeOpenAI, type FakeOpenAIServer } from "./support/fake-openai-server.js";
import { makeTempRoot, removeTempRoot } from "./support/temp-root.js";

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const utf8 = (text: string) => new TextEncoder().encode(text);

let server: FakeOpenAIServer;
let files: Server;
let filesUrl: string;
let menu: Uint8Array;

beforeAll(async () => {
  server = await startFakeOpenAI();
  menu = await imageWithText("RISOTTO 18 TIRAMISU 7", { format: "jpg" });
  files = createServer((request, response) => {
    if (request.url === "/menu.jpg") response.writeHead(200, { "content-type": "image/jpeg" }).end(menu);
    else if (request.url === "/big.bin") response.writeHead(200).end(Buffer.alloc(4096, 1));
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server.close();
  await new Promise<void>((resolve) => files.close(() => resolve()));
});

async function withMemory<T>(options: Parameters<typeof Memory.open>[0], work: (memory: Memory, root: string) => Promise<T>): Promise<T> {
  const root = await makeTempRoot();
  // The memory's data in a folder of its own: file:// never reads it, and the files these tests send sit beside it.
  const memory = await Memory.open({ root: join(root, "data"), logLevel: "silent", ...options });
  try {
    return await work(memory, root);
  } finally {
    await memory.close();
    await removeTempRoot(root);
  }
}

describe("the scenarios users start with (local parsers)", () => {
  it("a name and a menu image by URL, a receipt as a data URI, a PDF report, a whiteboard by file://", async () => {
    await withMemory({ multimodal: { allowPrivateHosts: true } }, async (memory, root) => {
      await memory.add(
        [{ role: "user", content: [{ type: "text", text: "Hi, my name is Alice" }, { type: "image_url", image_url: { url: `${filesUrl}/menu.jpg` } }] }],
        { userId: "alice", infer: false },
      );
      expect((await memory.search("tiramisu", { userId: "alice" })).results[0]?.memory).toMatch(/Hi, my name is Alice[\s\S]*TIRAMISU/i);

      const receipt = await imageWithText("TOTAL 42.50 EUR", { format: "png" });
      await memory.add([{ role: "user", content: { type: "image_url", image_url: { url: `data:image/png;base64,${b64(receipt)}` } } }], {
        userId: "alice",
        infer: false,
      });
      expect((await memory.search("receipt total 42.50", { userId: "alice" })).results[0]?.memory).toMatch(/42[.,]50/);

      await memory.add([{ role: "user", content: [{ type: "pdf", base64: b64(pdfWithTextLayer(["Q3 revenue grew 12 percent"])), ext: "pdf" }] }], {
        userId: "alice",
        infer: false,
      });
      expect((await memory.search("Q3 revenue", { userId: "alice" })).results[0]?.memory).toContain("Q3 revenue grew 12 percent");

      const board = join(root, "whiteboard.png");
      await writeFile(board, await imageWithText("SHIP FRIDAY", { format: "png" }));
      await memory.add([{ role: "user", content: [{ type: "image", uri: `file://${board}` }] }], { userId: "alice", infer: false });
      expect((await memory.search("ship friday", { userId: "alice" })).results[0]?.memory).toMatch(/SHIP FRIDAY/i);

      const eml = await emlWithAttachment({
        subject: "Lease",
        body: "Attached.",
        attachments: [{ filename: "lease.pdf", contentType: "application/pdf", content: pdfWithTextLayer(["Rent is 1200 per month"]) }],
      });
      await memory.add([{ role: "user", content: [{ type: "email", base64: b64(eml) }] }], { userId: "alice", infer: false });
      expect((await memory.search("rent per month", { userId: "alice" })).results[0]?.memory).toContain("Rent is 1200 per month");
    });
  }, 60_000);

  it("one batch: text, an image whose model call fails transiently, and a PDF → the image failed, the rest stored", async () => {
    server.reset();
    server.failNext("chat", { status: 503 }, 2);
    await withMemory({ multimodal: { baseUrl: server.baseURL, model: "fake-vision", maxRetries: 1, retryBaseDelayMs: 5, ocr: false } }, async (memory) => {
      const result = await memory.add(
        [
          { role: "user", content: "The garage code is 4711" },
          { role: "user", content: [{ type: "image", base64: b64(await imageWithText("X", { format: "png" })) }] },
          { role: "user", content: [{ type: "pdf", base64: b64(pdfWithTextLayer(["Insurance renews in March"])), ext: "pdf" }] },
        ],
        { userId: "alice", infer: false },
      );
      expect(result.parts.map((part) => [part.messageIndex, part.type, part.parseStatus])).toEqual([
        [1, "image", "failed"],
        [2, "pdf", "ok"],
      ]);
      expect((await memory.search("garage code", { userId: "alice" })).results[0]?.memory).toBe("The garage code is 4711");
      expect((await memory.search("insurance renews", { userId: "alice" })).results[0]?.memory).toContain("Insurance renews in March");
    });
  });
});

describe("the parsing rows of the error table, through Memory.add", () => {
  it("answers each with its code and writes nothing", async () => {
    await withMemory({ multimodal: { maxBytes: 1024, fileUriMaxBytes: 1024 } }, async (memory, root) => {
      const allowed = join(root, "allowed");
      await mkdir(allowed);
      await writeFile(join(root, "big.txt"), "x".repeat(2048));
      await writeFile(join(allowed, "ok.txt"), "fine");
      await symlink(join(root, "big.txt"), join(allowed, "link-to-big.txt"));
      const add = (content: unknown) => memory.add([{ role: "user", content } as never], { userId: "alice", infer: false });
      const cases: [string, unknown, string][] = [
        ["both text and base64", [{ type: "image", text: "x", base64: "AAAA" }], "INVALID_INPUT"],
        ["no payload", [{ type: "pdf" }], "INVALID_INPUT"],
        ["unknown type", [{ type: "video", uri: "file:///x.mp4" }], "INVALID_INPUT"],
        ["non-text item with only text", [{ type: "pdf", text: "hello" }], "UNSUPPORTED_FORMAT"],
        ["no parser for the sniffed type", [{ type: "doc", base64: b64(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0])) }], "UNSUPPORTED_FORMAT"],
        ["base64 with no resolvable type", [{ type: "doc", base64: b64(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 250, 251])) }], "UNSUPPORTED_FORMAT"],
        ["an image that does not decode", [{ type: "image", base64: b64(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0, 1, 2])), ext: "jpg" }], "INVALID_IMAGE"],
        ["base64 over max_bytes", [{ type: "doc", base64: b64(utf8("y".repeat(2048))), ext: "txt" }], "FILE_TOO_LARGE"],
        ["file:// over its cap", [{ type: "doc", uri: `file://${join(root, "big.txt")}` }], "FILE_TOO_LARGE"],
        ["file:// not a regular file", [{ type: "doc", uri: `file://${allowed}` }], "URI_REJECTED"],
        ["file:// into the memory's own data", [{ type: "doc", uri: `file://${join(root, "data", ".index", "state.db")}` }], "URI_REJECTED"],
        ["remote host in file://", [{ type: "doc", uri: "file://example.com/etc/passwd" }], "URI_REJECTED"],
        ["http(s) to loopback", [{ type: "image", uri: `${filesUrl}/menu.jpg` }], "URI_REJECTED"],
        ["http(s) to cloud metadata", [{ type: "image", uri: "http://169.254.169.254/latest/meta-data" }], "URI_REJECTED"],
        ["unreachable URL", [{ type: "image", uri: "http://127.0.0.1:1/nothing.png" }], "URI_REJECTED"],
        ["audio base64 over max_bytes", [{ type: "audio", base64: b64(wavTone(0.2)), ext: "wav" }], "FILE_TOO_LARGE"],
      ];
      for (const [label, content, code] of cases) {
        await expect(add(content), label).rejects.toMatchObject({ code });
      }
      expect((await memory.getAll({ userId: "alice" })).results).toEqual([]);
    });
  });

  it("refuses file:// outside file_uri_allow_dirs, and audio without a transcriber as CAPABILITY_UNAVAILABLE (415)", async () => {
    const outside = await makeTempRoot();
    await writeFile(join(outside, "note.txt"), "secret");
    await withMemory({ multimodal: { fileUriAllowDirs: ["/nonexistent-allowed-dir"] }, parsingModels: {} }, async (memory) => {
      await expect(memory.add([{ role: "user", content: [{ type: "doc", uri: `file://${join(outside, "note.txt")}` }] }], { userId: "a", infer: false })).rejects.toMatchObject({
        code: "URI_REJECTED",
      });
      await expect(memory.add([{ role: "user", content: [{ type: "audio", base64: b64(wavTone(0.2)), ext: "wav" }] }], { userId: "a", infer: false })).rejects.toMatchObject({
        code: "CAPABILITY_UNAVAILABLE",
        httpStatus: 415,
      });
    });
    await removeTempRoot(outside);
  });
});

describe("every generated format through Memory.add", () => {
  const formats: [string, () => Promise<Uint8Array> | Uint8Array, string, string][] = [
    ["png", () => imageWithText("PNG MARKER", { format: "png" }), "image", "PNG MARKER"],
    ["jpg", () => imageWithText("JPEG MARKER", { format: "jpg" }), "image", "JPEG MARKER"],
    ["gif", () => animatedGifWithText(["GIF MARKER", "SECOND FRAME"]), "image", "GIF MARKER"],
    ["webp", () => imageWithText("WEBP MARKER", { format: "webp" }), "image", "WEBP MARKER"],
    ["tiff", () => imageWithText("TIFF MARKER", { format: "tiff" }), "image", "TIFF MARKER"],
    ["bmp", () => imageWithText("BMP MARKER", { format: "bmp" }), "image", "BMP MARKER"],
    ["svg", () => imageWithText("SVG MARKER", { format: "svg" }), "image", "SVG MARKER"],
    ["pdf", () => pdfWithTextLayer(["PDF text layer marker"]), "pdf", "PDF text layer marker"],
    ["pdf", () => pdfWithoutTextLayer("SCANNED MARKER"), "pdf", "SCANNED MARKER"],
    ["docx", () => docxWithText(["DOCX marker paragraph"]), "doc", "DOCX marker paragraph"],
    ["xlsx", () => xlsxWithRows([{ name: "Budget", rows: [["XLSX marker", 42]] }]), "doc", "XLSX marker"],
    ["pptx", () => pptxWithSlides([{ title: "PPTX marker title", bullets: ["first bullet"] }]), "doc", "PPTX marker title"],
    ["odt", () => odtWithText(["ODT marker paragraph"]), "doc", "ODT marker paragraph"],
    ["ods", () => odsWithRows([{ name: "Sheet", rows: [["ODS marker", 1]] }]), "doc", "ODS marker"],
    ["odp", () => odpWithSlides([{ title: "ODP marker title", bullets: [] }]), "doc", "ODP marker title"],
    ["rtf", () => rtfWithText(["RTF marker paragraph"]), "doc", "RTF marker paragraph"],
    ["html", () => utf8(htmlPage({ title: "Page", content: "<p>HTML marker paragraph</p>" })), "html", "HTML marker paragraph"],
    ["eml", () => emlWithAttachment({ subject: "EML marker subject", body: "body" }), "email", "EML marker subject"],
    ["txt", () => utf8("TXT marker line"), "doc", "TXT marker line"],
    ["md", () => utf8("# MD marker heading"), "doc", "MD marker heading"],
    ["csv", () => utf8("name,value\nCSV marker,1"), "doc", "CSV marker"],
    ["json", () => utf8('{"marker": "JSON marker value"}'), "doc", "JSON marker value"],
    ["wav", () => wavTone(0.5), "audio", "spoken words"],
  ];

  for (const mode of ["local", "vision"] as const) {
    it(`parses each format in ${mode} mode`, async () => {
      server.reset();
      // The fake vision model reads the marker back from what the test rendered.
      const expected = new Map<string, string>();
      server.chat.setDefault(() => [...expected.values()].at(-1) ?? "");
      server.transcriptions.setDefault("spoken words");
      const multimodal =
        mode === "local"
          ? { baseUrl: server.baseURL, transcriptionModel: "whisper-1", retryBaseDelayMs: 5 }
          : { baseUrl: server.baseURL, model: "fake-vision", transcriptionModel: "whisper-1", ocr: false, retryBaseDelayMs: 5 };
      await withMemory({ multimodal }, async (memory) => {
        for (const [format, make, type, marker] of formats) {
          expected.set(format, marker);
          const result = await memory.add([{ role: "user", content: [{ type, base64: b64(await make()), ext: format }] }], { userId: "alice", infer: false });
          expect(result.parts[0], format).toMatchObject({ format, parseStatus: "ok" });
          // Compared without whitespace: LibreOffice wraps the generated slide title, which has no frame size.
          const squash = (text: string) => text.toUpperCase().replace(/\s+/g, "");
          expect(squash(result.results[0]?.memory ?? ""), `${format} (${result.parts[0]?.parser})`).toContain(squash(marker));
        }
      });
    }, 120_000);
  }
});

describe("raw bytes never reach the data root", () => {
  it("keeps only parsed text: a unique marker inside a payload's raw bytes is found nowhere under the root", async () => {
    const marker = `RAWMARKER${Date.now()}XYZ`;
    // The marker sits in PDF metadata (never extracted as text) and in an image's PNG text chunk.
    const pdf = utf8(new TextDecoder().decode(pdfWithTextLayer(["Visible text only"])).replace("%PDF-1.4", `%PDF-1.4\n% ${marker}`));
    await withMemory({}, async (memory, root) => {
      await memory.add(
        [{ role: "user", content: [{ type: "pdf", base64: b64(pdf), ext: "pdf" }, { type: "text", text: "see attached" }] }],
        { userId: "alice", infer: false },
      );
      await memory.add([{ role: "user", content: [{ type: "pdf", base64: b64(pdf), ext: "pdf" }] }], { userId: "alice", sessionId: "s", flush: false });
      await memory.close();
      const offenders: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) await walk(path);
          else if ((await readFile(path)).includes(marker)) offenders.push(path);
        }
      };
      await walk(root);
      expect(offenders).toEqual([]);
      await memory.ready();
    });
  });
});
