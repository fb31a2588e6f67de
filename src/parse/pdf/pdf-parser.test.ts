import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { lastMessageText, startFakeOpenAI, type FakeOpenAIServer } from "../../../test/support/fake-openai-server.js";
import {
  encryptedPdf,
  foldText,
  pdfWithoutTextLayer,
  pdfWithPages,
  pdfWithTextLayer,
  sniffedAs,
  testParseContext,
} from "../../../test/support/fixtures/index.js";
import { TesseractOcr } from "../../providers/ocr/tesseract-ocr.js";
import { OpenAICompatibleVisionModel } from "../../providers/vision/vision-model.js";
import { CapabilityUnavailableError, ProviderError, UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseContext, ParseOutput } from "../../spec/parser.js";
import { PdfParser } from "./pdf-parser.js";

let server: FakeOpenAIServer;
let ocr: TesseractOcr;
const parser = new PdfParser();

beforeAll(async () => {
  server = await startFakeOpenAI();
  ocr = new TesseractOcr({ idleTimeoutMs: 0 });
});

afterAll(async () => {
  await ocr.close();
  await server.close();
});

beforeEach(() => {
  server.reset();
});

function parse(bytes: Uint8Array, context: ParseContext = testParseContext()): Promise<ParseOutput> {
  return parser.parse({ bytes, format: sniffedAs("pdf"), name: "fixture.pdf" }, context);
}

function vision(): OpenAICompatibleVisionModel {
  return new OpenAICompatibleVisionModel({ baseURL: server.baseURL, model: "fake-vision-model", retryBaseDelayMs: 1, maxRetries: 1 });
}

describe("PdfParser: text layer", () => {
  it("reads every page's text with page headers and page provenance, without any model", async () => {
    const pdf = pdfWithTextLayer([
      "Alice booked the flight to Lisbon for 12 May.\nShe paid 420 euros.",
      "Bob (her brother) will join on 14 May \\ maybe.",
    ]);
    const output = await parse(pdf);
    expect(output.parser).toBe("pdf/text-layer");
    expect(output.provenance).toEqual([{ page: 1 }, { page: 2 }]);
    expect(output.text).toBe(
      [
        "--- page 1 ---",
        "Alice booked the flight to Lisbon for 12 May.",
        "She paid 420 euros.",
        "",
        "--- page 2 ---",
        "Bob (her brother) will join on 14 May \\ maybe.",
      ].join("\n"),
    );
    expect(server.requests).toHaveLength(0);
  });

  it("reads at most maxPdfPages pages and says so", async () => {
    const pdf = pdfWithTextLayer(["one one one one one", "two two two two two", "three three three", "four four four four", "five five five five"]);
    const output = await parse(pdf, testParseContext({ limits: { maxPdfPages: 2 } }));
    expect(output.provenance).toEqual([{ page: 1 }, { page: 2 }]);
    expect(output.text).toContain("--- page 2 ---\ntwo two");
    expect(output.text).not.toContain("three");
    expect(output.text).toMatch(/truncated: only the first 2 of 5 pages were read/);
  });

  it("skips blank pages", async () => {
    const output = await parse(pdfWithTextLayer(["", "Only the second page has words on it."]));
    expect(output.provenance).toEqual([{ page: 2 }]);
    expect(output.text).toBe("--- page 2 ---\nOnly the second page has words on it.");
  });
});

describe("PdfParser: pages without a text layer", () => {
  it("OCRs a scanned page", async () => {
    const pdf = await pdfWithoutTextLayer("Scanned invoice number 4711\nTotal due 98 dollars");
    const output = await parse(pdf, testParseContext({ ocr }));
    expect(output.parser).toBe("pdf/ocr");
    expect(output.provenance).toEqual([{ page: 1 }]);
    expect(output.text.startsWith("--- page 1 ---\n")).toBe(true);
    expect(foldText(output.text)).toContain("scanned invoice number 4711");
    expect(foldText(output.text)).toContain("total due 98 dollars");
  });

  it("combines the text layer of typed pages with OCR of scanned ones", async () => {
    const pdf = await pdfWithPages([{ text: "The typed cover page of the report." }, { scannedText: "Handwritten looking appendix" }]);
    const output = await parse(pdf, testParseContext({ ocr }));
    expect(output.parser).toBe("pdf/text-layer+ocr");
    expect(output.provenance).toEqual([{ page: 1 }, { page: 2 }]);
    expect(output.text).toContain("--- page 1 ---\nThe typed cover page of the report.");
    expect(foldText(output.text.split("--- page 2 ---")[1] ?? "")).toContain("handwritten looking appendix");
  });

  it("re-reads a scan whose only text is an invisible OCR layer, and keeps that layer without OCR", async () => {
    const pdf = await pdfWithPages([
      { scannedText: "Membership contracts received", invisibleText: "Mernbcrship c0ntracts rcceivcd (a poor OCR layer)" },
    ]);
    const withOcr = await parse(pdf, testParseContext({ ocr }));
    expect(withOcr.parser).toBe("pdf/ocr");
    expect(foldText(withOcr.text)).toContain("membership contracts received");
    const without = await parse(pdf);
    expect(without.parser).toBe("pdf/text-layer");
    expect(without.text).toContain("Mernbcrship c0ntracts rcceivcd");
  });

  it("sends a scanned page to the vision model as a rendered PNG", async () => {
    server.chat.enqueue("Receipt from the bakery, total 7.50");
    const pdf = await pdfWithoutTextLayer("Bakery receipt");
    const output = await parse(pdf, testParseContext({ vision: vision(), ocr }));
    expect(output).toEqual({ text: "--- page 1 ---\nReceipt from the bakery, total 7.50", parser: "pdf/vision", provenance: [{ page: 1 }] });

    const [body] = server.chatRequests();
    expect(body?.model).toBe("fake-vision-model");
    expect(body === undefined ? "" : lastMessageText(body, "user")).toContain("page 1 of 1");
    const content = (body?.messages?.[0] as { content?: { type: string; image_url?: { url: string } }[] } | undefined)?.content ?? [];
    const url = content.find((part) => part.type === "image_url")?.image_url?.url ?? "";
    expect(url.startsWith("data:image/png;base64,")).toBe(true);
    const metadata = await sharp(Buffer.from(url.slice("data:image/png;base64,".length), "base64")).metadata();
    expect(metadata.format).toBe("png");
    // US Letter at 200 dpi is 1700 × 2200, fitted inside 2048 px.
    expect(metadata.height).toBe(2048);
  });

  it("lets a vision failure through as a ProviderError", async () => {
    server.failNext("chat", { status: 503 }, 2);
    await expect(parse(await pdfWithoutTextLayer("x"), testParseContext({ vision: vision() }))).rejects.toBeInstanceOf(ProviderError);
  });

  it("needs a vision model or OCR for a scan: CAPABILITY_UNAVAILABLE, 415", async () => {
    const error = await parse(await pdfWithoutTextLayer("Nobody can read this")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CapabilityUnavailableError);
    expect((error as CapabilityUnavailableError).code).toBe("CAPABILITY_UNAVAILABLE");
    expect((error as CapabilityUnavailableError).httpStatus).toBe(415);
  });

  it("keeps the typed pages and marks the scanned ones when it cannot read them", async () => {
    const pdf = await pdfWithPages([{ text: "A typed page that can be read." }, { scannedText: "unreadable here" }]);
    const output = await parse(pdf);
    expect(output.parser).toBe("pdf/text-layer");
    expect(output.provenance).toEqual([{ page: 1 }]);
    expect(output.text).toContain("--- page 2 ---\n[This page has no text layer");
  });
});

describe("PdfParser refusals", () => {
  it("refuses a password-protected PDF with UNSUPPORTED_FORMAT", async () => {
    const error = await parse(encryptedPdf()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedFormatError);
    expect((error as UnsupportedFormatError).httpStatus).toBe(415);
    expect((error as UnsupportedFormatError).details).toMatchObject({ reason: "encrypted" });
    expect((error as Error).message).toMatch(/password/);
  });

  it.each([
    ["garbage", () => new Uint8Array(Buffer.from("this is not a pdf at all"))],
    ["a header and nothing else", () => new Uint8Array(Buffer.from("%PDF-1.7\n%%EOF\n"))],
    ["empty bytes", () => new Uint8Array(0)],
  ])("refuses %s with UNSUPPORTED_FORMAT", async (_label, bytes) => {
    const error = await parse(bytes()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedFormatError);
    expect((error as UnsupportedFormatError).details).toMatchObject({ reason: "corrupt" });
    // pdf.js's own words ("Invalid PDF structure.") stay in the cause, out of the message.
    const cause = (error as UnsupportedFormatError).cause;
    if (cause instanceof Error) expect((error as Error).message).not.toContain(cause.message);
    expect((error as Error).message).toMatch(/not a readable PDF \(truncated or corrupt\)$/);
  });
});
