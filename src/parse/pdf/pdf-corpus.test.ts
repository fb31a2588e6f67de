/**
 * Real PDFs written by other projects (../shared/corpus). Runs only when OMNIMEM_CORPUS_DIR
 * points at the corpus folder: `OMNIMEM_CORPUS_DIR=../shared/corpus npx vitest run src/parse/pdf`.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { foldText, sniffedAs, testParseContext } from "../../../test/support/fixtures/index.js";
import { TesseractOcr } from "../../providers/ocr/tesseract-ocr.js";
import type { ParseContext, ParseOutput } from "../../spec/parser.js";
import { PdfParser } from "./pdf-parser.js";

const corpus = process.env["OMNIMEM_CORPUS_DIR"];

describe.skipIf(corpus === undefined || corpus === "")("PDF corpus", () => {
  const ocr = new TesseractOcr({ idleTimeoutMs: 0 });
  const parser = new PdfParser();

  afterAll(async () => {
    await ocr.close();
  });

  async function parse(file: string, context: ParseContext): Promise<ParseOutput> {
    const bytes = new Uint8Array(await readFile(path.join(corpus as string, "pdf", file)));
    return parser.parse({ bytes, format: sniffedAs("pdf"), name: file }, context);
  }

  it("reads the text layer of unstructured_fake-memo.pdf", async () => {
    const output = await parse("unstructured_fake-memo.pdf", testParseContext());
    expect(output.parser).toBe("pdf/text-layer");
    expect(output.provenance).toEqual([{ page: 1 }]);
    expect(foldText(output.text)).toContain("to whom it may concern");
    expect(foldText(output.text)).toContain("20,000 bottles of water");
  });

  it("OCRs the scanned page of unstructured_pdf-with-ocr-text.pdf instead of trusting its OCR layer", async () => {
    const output = await parse("unstructured_pdf-with-ocr-text.pdf", testParseContext({ ocr }));
    expect(output.parser).toBe("pdf/ocr");
    const text = foldText(output.text);
    expect(text).toContain("keep you posted on the progress of the foundation");
    expect(text).toContain("accepting membership");
  });

  it("falls back to the scan's own OCR layer without OCR or a model", async () => {
    const output = await parse("unstructured_pdf-with-ocr-text.pdf", testParseContext());
    expect(output.parser).toBe("pdf/text-layer");
    expect(foldText(output.text)).toContain("progress of the foundation");
  });
});
