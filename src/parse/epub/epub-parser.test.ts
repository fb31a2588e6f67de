import JSZip from "jszip";
import { describe, expect, it } from "vitest";

import { epubWithChapters } from "../../../test/support/fixtures/epub.js";
import { pptxWithSlides, recordingContext } from "../../../test/support/fixtures/documents.js";
import { sniff } from "../../content/sniff.js";
import { FileSizeError, UnsupportedFormatError } from "../../spec/errors.js";
import type { ParseInput } from "../../spec/parser.js";
import { defaultParsers } from "../default-parsers.js";
import { OfficeParser } from "../office/office-parser.js";
import { ParserRegistry } from "../registry.js";
import { EpubParser } from "./epub-parser.js";

const input = (bytes: Uint8Array): ParseInput => ({
  bytes,
  format: { format: "epub", mediaType: "application/epub+zip", modality: "doc" },
  name: "book.epub",
});

const CHAPTERS = [
  { title: "The Lighthouse", paragraphs: ["Mara kept the lamp at Point Reyes for forty years.", "Storms & fog were her only company."] },
  { title: "Cover note", paragraphs: ["Not part of the reading order."], nonLinear: true },
  { title: "The Letter", paragraphs: ["In 1952 a letter arrived from Lisbon."] },
  { title: "Homecoming", paragraphs: ["She sailed home on the Santa Maria."] },
];

/** Overwrites the start of one entry's compressed data, as a damaged download does. */
function damageEntry(bytes: Uint8Array, name: string): Uint8Array {
  const damaged = new Uint8Array(bytes);
  const view = new DataView(damaged.buffer);
  for (let offset = 0; offset + 30 < damaged.length; offset++) {
    if (view.getUint32(offset, true) !== 0x04034b50) continue;
    const nameLength = view.getUint16(offset + 26, true);
    const extraLength = view.getUint16(offset + 28, true);
    if (Buffer.from(damaged.subarray(offset + 30, offset + 30 + nameLength)).toString("utf8") !== name) continue;
    damaged.fill(0xff, offset + 30 + nameLength + extraLength, offset + 30 + nameLength + extraLength + 20);
    return damaged;
  }
  throw new Error(`no entry ${name}`);
}

describe("EpubParser", () => {
  it("reads the linear spine chapters in spine order as markdown, under the book's title", async () => {
    const { context } = recordingContext();
    const output = await new EpubParser().parse(input(await epubWithChapters("Keeper of the Light", CHAPTERS)), context);
    expect(output.parser).toBe("epub/markdown");
    expect(output.text).toBe(
      [
        "# Keeper of the Light",
        "# The Lighthouse",
        "Mara kept the lamp at Point Reyes for forty years.",
        "Storms & fog were her only company.",
        "# The Letter",
        "In 1952 a letter arrived from Lisbon.",
        "# Homecoming",
        "She sailed home on the Santa Maria.",
      ].join("\n\n"),
    );
    // Neither the navigation document nor the stylesheet leaks in.
    expect(output.text).not.toContain("Cover note");
    expect(output.text).not.toContain("font-family");
  });

  it("is sniffed as epub from its mimetype entry and parsed through the registry as a doc", async () => {
    const bytes = await epubWithChapters("Short", [{ title: "Only", paragraphs: ["A single chapter."] }]);
    const format = await sniff(bytes, { declaredType: "doc", ext: "epub" });
    expect(format).toEqual({ format: "epub", mediaType: "application/epub+zip", modality: "doc" });
    // Bytes alone say it, whatever the caller declared.
    expect(await sniff(bytes, { declaredType: "image" })).toEqual(format);
    const parser = new ParserRegistry(defaultParsers()).parserFor(format!);
    const { context } = recordingContext();
    expect((await parser.parse({ bytes, format: format! }, context)).text).toContain("A single chapter.");
  });

  it("refuses a zip bomb before inflating it", async () => {
    const zip = new JSZip();
    zip.file("mimetype", "application/epub+zip", { compression: "STORE" });
    zip.file("OEBPS/huge.xhtml", "a".repeat(1024 * 1024));
    const bytes = await zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
    // Make the central directory declare 4 GiB for the second entry, as a bomb does.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = bytes.length - 22; offset >= 0; offset--) {
      if (view.getUint32(offset, true) === 0x02014b50 && bytes[offset + 46] === "O".charCodeAt(0)) {
        view.setUint32(offset + 24, 0xfffffff0, true);
        break;
      }
    }
    const { context } = recordingContext();
    await expect(new EpubParser().parse(input(bytes), context)).rejects.toBeInstanceOf(FileSizeError);
  });

  it("holds each chapter to the HTML size limit", async () => {
    const bytes = await epubWithChapters("Long", [{ title: "Big", paragraphs: ["word ".repeat(5000)] }]);
    const { context } = recordingContext({ limits: { maxHtmlBytes: 10_000 } });
    const error = await new EpubParser().parse(input(bytes), context).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FileSizeError);
  });

  it("answers a damaged entry with UNSUPPORTED_FORMAT in our words, not JSZip's (epub and pptx)", async () => {
    const { context } = recordingContext();
    const epub = damageEntry(await epubWithChapters("Damaged", [{ title: "One", paragraphs: ["x".repeat(400)] }]), "OEBPS/text/part z.xhtml");
    const epubError = await new EpubParser().parse(input(epub), context).catch((caught: unknown) => caught);
    expect(epubError).toBeInstanceOf(UnsupportedFormatError);
    expect((epubError as Error).message).toBe("The package's entry OEBPS/text/part z.xhtml is damaged (truncated or corrupt)");

    const pptx = damageEntry(await pptxWithSlides([{ title: "A slide with enough text to deflate", bullets: ["one", "two"] }]), "ppt/slides/slide1.xml");
    const pptxError = await new OfficeParser({ sofficePath: null })
      .parse({ bytes: pptx, format: { format: "pptx", mediaType: "application/vnd.openxmlformats-officedocument.presentationml.presentation", modality: "doc" } }, context)
      .catch((caught: unknown) => caught);
    expect(pptxError).toBeInstanceOf(UnsupportedFormatError);
    expect((pptxError as Error).message).not.toMatch(/Bug|mismatch|crc32/i);
  });

  it("refuses a zip without a container as UNSUPPORTED_FORMAT, and skips hrefs that leave the book", async () => {
    const zip = new JSZip();
    zip.file("mimetype", "application/epub+zip", { compression: "STORE" });
    zip.file("OEBPS/content.opf", "<package/>");
    const { context } = recordingContext();
    const error = await new EpubParser()
      .parse(input(await zip.generateAsync({ type: "uint8array" })), context)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedFormatError);
    expect((error as UnsupportedFormatError).details).toMatchObject({ reason: "no-container" });

    zip.file("META-INF/container.xml", '<container><rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>');
    zip.file(
      "OEBPS/content.opf",
      '<package><manifest><item id="a" href="../../etc/passwd" media-type="application/xhtml+xml"/><item id="b" href="ok.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="a"/><itemref idref="b"/></spine></package>',
    );
    zip.file("OEBPS/ok.xhtml", "<html><body><p>inside</p></body></html>");
    const output = await new EpubParser().parse(input(await zip.generateAsync({ type: "uint8array" })), context);
    expect(output.text).toBe("inside");
  });
});
