/**
 * Parse throughput per format in local mode (no model): OCR for images and scanned pages,
 * LibreOffice where installed (else the pure-JS readers), on fixtures the project generates.
 * The parse cache is bypassed so every item is really parsed.
 *
 *   npx tsx bench/parse.ts [--seconds 3]
 */
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { memoryConfigSchema } from "../src/config/schema.js";
import { createLogger } from "../src/log.js";
import type { ParseCache } from "../src/spec/parse-cache.js";
import { PartParser } from "../src/ingest/part-parser.js";
import { defaultParsers } from "../src/parse/default-parsers.js";
import { ParserRegistry } from "../src/parse/registry.js";
import { TesseractOcr } from "../src/providers/ocr/tesseract-ocr.js";
import type { Part, PartType } from "../src/spec/types.js";
import { animatedGifWithText, imageWithText, pdfWithTextLayer, pdfWithoutTextLayer } from "../test/support/fixtures/index.js";
import {
  docxWithText,
  emlWithAttachment,
  htmlPage,
  odtWithText,
  pptxWithSlides,
  rtfWithText,
  xlsxWithRows,
} from "../test/support/fixtures/documents.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "3" } } });
const budgetMs = Number(values.seconds) * 1000;
const utf8 = (text: string) => new TextEncoder().encode(text);
const paragraph = "The quarterly review covers revenue, hiring, the Lisbon offsite and the new onboarding flow.";

const fixtures: [string, PartType, () => Promise<Uint8Array> | Uint8Array][] = [
  ["png (OCR)", "image", () => imageWithText("INVOICE TOTAL 42.50", { format: "png" })],
  ["jpg (OCR)", "image", () => imageWithText("MEETING AT NOON", { format: "jpg" })],
  ["gif (OCR)", "image", () => animatedGifWithText(["FIRST FRAME", "SECOND"])],
  ["svg (OCR)", "image", () => imageWithText("VECTOR TEXT", { format: "svg" })],
  ["pdf text layer, 5 pages", "pdf", () => pdfWithTextLayer(Array.from({ length: 5 }, (_, i) => `Page ${i + 1}. ${paragraph}`))],
  ["pdf scanned page (OCR)", "pdf", () => pdfWithoutTextLayer("SCANNED CONTRACT")],
  ["docx", "doc", () => docxWithText(Array.from({ length: 20 }, () => paragraph))],
  ["xlsx", "doc", () => xlsxWithRows([{ name: "Budget", rows: Array.from({ length: 50 }, (_, i) => [`item ${i}`, i * 10]) }])],
  ["pptx", "doc", () => pptxWithSlides(Array.from({ length: 5 }, (_, i) => ({ title: `Slide ${i}`, bullets: [paragraph] })))],
  ["odt", "doc", () => odtWithText([paragraph, paragraph])],
  ["rtf", "doc", () => rtfWithText([paragraph, paragraph])],
  ["html", "html", () => utf8(htmlPage({ title: "Report", content: `<p>${paragraph}</p>`.repeat(20) }))],
  ["eml + pdf attachment", "email", () => emlWithAttachment({ subject: "Report", body: paragraph, attachments: [{ filename: "r.pdf", contentType: "application/pdf", content: pdfWithTextLayer([paragraph]) }] })],
  ["txt", "doc", () => utf8(paragraph.repeat(50))],
  ["json", "doc", () => utf8(JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => ({ i, paragraph })) }))],
];

const noCache = { get: () => undefined, put: () => undefined } as unknown as ParseCache;
const multimodal = memoryConfigSchema.parse({}).multimodal;
const ocr = new TesseractOcr();
const parser = new PartParser({
  registry: new ParserRegistry(defaultParsers()),
  load: { maxBytes: multimodal.maxBytes, fetchTimeoutMs: 30_000, allowPrivateHosts: false, fileUriMaxBytes: multimodal.fileUriMaxBytes, fileUriAllowDirs: [], allowFileUris: true, maxRedirects: 5 },
  limits: { ...multimodal },
  ocr,
  cache: noCache,
  maxConcurrency: multimodal.maxConcurrency,
  maxRequestBytes: multimodal.maxRequestBytes,
  logger: createLogger("error"),
});

console.log(`# parse throughput, local mode (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version})\n`);
console.log("| format | bytes | parser | items/s | ms per item |");
console.log("|---|---|---|---|---|");
for (const [label, type, make] of fixtures) {
  const bytes = await make();
  const part: Part = { type: type as Exclude<PartType, "text">, source: { kind: "bytes", data: bytes } };
  const run = () => parser.parseMessages([{ index: 0, parts: [part] }]);
  const first = await run(); // warm-up: starts OCR workers, loads LibreOffice, compiles code paths
  let items = 0;
  const started = performance.now();
  while (performance.now() - started < budgetMs || items < 2) {
    await run();
    items++;
  }
  const elapsed = performance.now() - started;
  console.log(`| ${label} | ${bytes.byteLength} | ${first.reports[0]?.parser} | ${((items / elapsed) * 1000).toFixed(1)} | ${(elapsed / items).toFixed(1)} |`);
}
await ocr.close();
