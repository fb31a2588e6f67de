/**
 * Real images written by other projects (../shared/corpus). Runs only when OMNIMEM_CORPUS_DIR
 * points at the corpus folder: `OMNIMEM_CORPUS_DIR=../shared/corpus npx vitest run src/parse/image`.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { foldText, sniffedAs, testParseContext } from "../../../test/support/fixtures/index.js";
import { TesseractOcr } from "../../providers/ocr/tesseract-ocr.js";
import { ImageParser } from "./image-parser.js";

const corpus = process.env["OMNIMEM_CORPUS_DIR"];

describe.skipIf(corpus === undefined || corpus === "")("image corpus (local OCR)", () => {
  const ocr = new TesseractOcr({ idleTimeoutMs: 0 });
  const parser = new ImageParser();

  afterAll(async () => {
    await ocr.close();
  });

  async function read(file: string, format: string): Promise<string> {
    const bytes = new Uint8Array(await readFile(path.join(corpus as string, "image", file)));
    const output = await parser.parse({ bytes, format: sniffedAs(format), name: file }, testParseContext({ ocr }));
    expect(output.parser).toBe("image/ocr");
    return foldText(output.text);
  }

  it.each([
    ["tesseractjs_simple.png", ["Tesseract.js"]],
    ["tesseractjs_testocr.png", ["12 point text to test the", "quick brown dog jumped over the"]],
    ["tesseractjs_bill.png", ["FIRST CHEQUING", "Line of Credit", "Balance Forward"]],
  ])("finds the text in %s", async (file, expected) => {
    const text = await read(file, "png");
    for (const phrase of expected) expect(text).toContain(foldText(phrase));
  });

  it("reads a photo without text as (almost) nothing instead of noise", async () => {
    const text = await read("unstructured_example.jpg", "jpg");
    expect(text.replace(/[^a-z0-9]/g, "").length).toBeLessThan(10);
  });
});
