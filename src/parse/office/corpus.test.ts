/**
 * The office files of the shared real-file corpus (../shared/corpus/README.md). Runs only when
 * OMNIMEM_CORPUS_DIR points at the corpus folder.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { recordingContext } from "../../../test/support/fixtures/documents.js";
import type { ParseInput } from "../../spec/parser.js";
import { detectSoffice } from "./libreoffice.js";
import { OfficeParser } from "./office-parser.js";

const corpus = process.env["OMNIMEM_CORPUS_DIR"];

function folded(text: string): string {
  return text.replace(/\s+/g, " ").toLowerCase();
}

async function load(file: string): Promise<ParseInput> {
  const bytes = await readFile(path.join(corpus ?? "", "office", file));
  const format = path.extname(file).slice(1);
  return { bytes: new Uint8Array(bytes), format: { format, mediaType: "application/octet-stream", modality: "doc" }, name: file };
}

const EXPECTED: readonly [string, readonly string[]][] = [
  ["unstructured_fake.docx", ["Lorem ipsum dolor sit amet"]],
  ["unstructured_fake-power-point.pptx", ["Adding a Bullet Slide", "Here is a lot of text!"]],
  ["unstructured_fake.odt", ["Lorem ipsum dolor sit amet", "Leader"]],
  ["unstructured_fake-doc.rtf", ["My First Heading", "Row 1, Cell 1"]],
  ["mammoth_tables.docx", ["Top left", "Bottom right"]],
  ["mammoth_single-paragraph.docx", ["Walking on imported air"]],
];

describe.skipIf(corpus === undefined)("office corpus", () => {
  const builtIn = new OfficeParser({ sofficePath: null });

  for (const [file, needles] of EXPECTED) {
    it(`built-in extractor reads ${file}`, async () => {
      const { context } = recordingContext();
      const output = await builtIn.parse(await load(file), context);
      for (const needle of needles) expect(folded(output.text)).toContain(folded(needle));
    });
  }

  it("reads the remaining mammoth samples without failing", async () => {
    const { context } = recordingContext();
    for (const file of ["mammoth_comments.docx", "mammoth_footnotes.docx", "mammoth_tiny-picture.docx"]) {
      await expect(builtIn.parse(await load(file), context)).resolves.toMatchObject({ parser: "office/docx" });
    }
  });

  it.skipIf(detectSoffice() === undefined)("LibreOffice converts the pptx to a PDF", async () => {
    const { context, calls } = recordingContext({ handler: () => ({ text: "pdf text", parser: "pdf/stub" }) });
    const output = await new OfficeParser().parse(await load("unstructured_fake-power-point.pptx"), context);
    expect(output).toEqual({ text: "pdf text", parser: "office/libreoffice" });
    expect(calls[0]?.name).toBe("unstructured_fake-power-point.pptx.pdf");
    expect(Buffer.from(calls[0]?.bytes.subarray(0, 5) ?? []).toString("latin1")).toBe("%PDF-");
  });
});
